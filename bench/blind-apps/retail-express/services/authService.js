'use strict';

const LocalStrategy = require('passport-local').Strategy;
const userDao = require('../dao/userDao');

function configurePassport(passport) {
  passport.use(new LocalStrategy({ usernameField: 'userName', passReqToCallback: true }, async (req, userName, password, done) => {
    try {
      const user = await userDao.validateLogin(req.body.userName, req.body.password);
      if (!user) return done(null, false, { message: 'Invalid credentials' });
      return done(null, user);
    } catch (err) {
      return done(err);
    }
  }));

  passport.serializeUser((user, done) => done(null, String(user._id)));
  passport.deserializeUser(async (id, done) => {
    try {
      done(null, await userDao.getUserById(id));
    } catch (err) {
      done(err);
    }
  });
}

module.exports = { configurePassport };
