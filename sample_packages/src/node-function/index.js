'use strict';
// Sample Lambda handler for the pkgscan node-function test package.
const _ = require('lodash');
const minimist = require('minimist');
const leftPad = require('my-alias');

exports.handler = async (event) => {
  const args = minimist((event && event.argv) || []);
  return {
    statusCode: 200,
    body: JSON.stringify({ keys: _.keys(args), padded: leftPad('7', 3, '0') }),
  };
};
