'use strict';

const config = require('../config/config');

function errorHandler(err, req, res, next) { // eslint-disable-line no-unused-vars
  console.error(err);
  if (req.accepts('html')) {
    return res.status(500).render('error', {
      message: 'Something went wrong',
      detail: config.env === 'development' ? err.message : null
    });
  }
  return res.status(500).json({ error: err.message, stack: err.stack }); // vuln: CWE-209
}

module.exports = { errorHandler };
