'use strict';

const sessionRoutes = require('./session');
const profileRoutes = require('./profile');
const contributionsRoutes = require('./contributions');
const allocationsRoutes = require('./allocations');
const memosRoutes = require('./memos');
const filesRoutes = require('./files');
const adminRoutes = require('./admin');
const searchRoutes = require('./search');
const resetRoutes = require('./reset');
const { isLoggedIn } = require('../middleware/auth');

module.exports = function mount(app) {
  app.get('/', (req, res) => res.redirect(req.user ? '/dashboard' : '/login'));
  app.get('/dashboard', isLoggedIn, (req, res) => res.render('dashboard', { user: req.user }));

  app.use('/', sessionRoutes);
  app.use('/', resetRoutes);
  app.use('/profile', isLoggedIn, profileRoutes);
  app.use('/contributions', isLoggedIn, contributionsRoutes);
  app.use('/allocations', isLoggedIn, allocationsRoutes);
  app.use('/memos', isLoggedIn, memosRoutes);
  app.use('/files', filesRoutes);
  app.use('/admin', isLoggedIn, adminRoutes);
  app.use('/search', searchRoutes);
};
