'use strict';

const path = require('path');
const express = require('express');
const session = require('express-session');
const bodyParser = require('body-parser');
const MongoStore = require('connect-mongo')(session);
const passport = require('passport');

const config = require('./config/config');
const db = require('./models/db');
const routes = require('./routes');
const userDao = require('./dao/userDao');
const { configurePassport } = require('./services/authService');
const { requestLogger } = require('./middleware/logging');
const { errorHandler } = require('./middleware/errors');

async function start() {
  await db.connect();

  const app = express(); // vuln: CWE-693 CWE-352

  app.set('views', path.join(__dirname, 'views'));
  app.set('view engine', 'ejs');

  app.use(bodyParser.json({ limit: '1mb' }));
  app.use(bodyParser.urlencoded({ extended: true }));
  app.use('/static', express.static(path.join(__dirname, 'public')));

  app.use(session({
    secret: config.sessionSecret,
    name: 'retail.sid',
    resave: false,
    saveUninitialized: true,
    store: new MongoStore({ url: config.mongoUrl }),
    cookie: {
      httpOnly: false, // vuln: CWE-1004
      secure: false, // vuln: CWE-614
      maxAge: 1000 * 60 * 60 * 24 * 30
    }
  }));

  configurePassport(passport);
  app.use(passport.initialize());
  app.use(passport.session());

  app.use(requestLogger);

  app.use(async (req, res, next) => {
    if (!req.user && req.session.userId) {
      try {
        req.user = await userDao.getUserById(req.session.userId);
      } catch (err) {
        return next(err);
      }
    }
    return next();
  });

  app.use((req, res, next) => {
    res.locals.currentUser = req.user || null;
    res.locals.flash = req.session.flash || null;
    delete req.session.flash;
    next();
  });

  routes(app);

  app.use((req, res) => {
    res.status(404).render('error', { message: 'Page not found', detail: null });
  });
  app.use(errorHandler);

  app.listen(config.port, () => {
    console.log(`retail portal listening on http://localhost:${config.port} (${config.env})`);
  });
}

start().catch((err) => {
  console.error('failed to start', err);
  process.exit(1);
});
