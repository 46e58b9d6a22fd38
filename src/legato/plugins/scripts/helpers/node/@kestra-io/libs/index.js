'use strict';
// Kestra's `@kestra-io/libs` as Node.js scripts written for Kestra use it, over Legato's helpers:
//   const Kestra = require('@kestra-io/libs');
//   Kestra.outputs({ a: 1 }); Kestra.counter('rows', 3, { table: 'orders' }); Kestra.logger().info('hi');
const helpers = require('../../legato-helpers');

function logger() {
  return helpers.logger;
}
Object.assign(logger, helpers.logger);

const Kestra = {
  outputs: (values) => helpers.outputs(values),
  counter: (name, value, tags) => helpers.counter(name, value, tags),
  timer: (name, duration, tags) => helpers.timer(name, duration, tags),
  logger,
  _send: (message) => helpers.emit(message),
};

module.exports = Kestra;
module.exports.Kestra = Kestra;
module.exports.default = Kestra;
