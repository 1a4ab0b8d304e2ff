'use strict';

function isLoggedIn(req, res, next) {
  if (req.isAuthenticated && req.isAuthenticated()) return next();
  if (req.session && req.session.userId) return next();
  return res.redirect('/login?next=' + encodeURIComponent(req.originalUrl));
}

function isAdmin(req, res, next) {
  if (req.user && req.user.isAdmin === true) return next();
  return res.status(403).render('error', { message: 'Administrators only', detail: null });
}

function currentUserId(req) {
  if (req.user && req.user._id) return String(req.user._id);
  return req.session.userId ? String(req.session.userId) : null;
}

module.exports = { isLoggedIn, isAdmin, currentUserId };
