'use strict';
// Legato's helpers for Node.js scripts: each call prints one `::{...}::` protocol line on stdout.

function emit(message) {
  process.stdout.write('::' + JSON.stringify(message) + '::\n');
}

function outputs(values) {
  emit({ outputs: values });
}

function counter(name, value, tags) {
  emit({ metrics: [{ name, type: 'counter', value, tags: tags || {} }] });
}

function timer(name, duration, tags) {
  if (typeof duration === 'function') {
    const started = process.hrtime.bigint();
    const result = duration();
    const record = () => timer(name, Number(process.hrtime.bigint() - started) / 1e9, tags);
    if (result && typeof result.then === 'function') {
      return result.then((value) => { record(); return value; });
    }
    record();
    return result;
  }
  emit({ metrics: [{ name, type: 'timer', value: duration, tags: tags || {} }] });
  return undefined;
}

function log(level, parts) {
  emit({ logs: [{ level, message: parts.map(String).join(' ') }] });
}

const logger = {
  trace: (...parts) => log('TRACE', parts),
  debug: (...parts) => log('DEBUG', parts),
  info: (...parts) => log('INFO', parts),
  warn: (...parts) => log('WARN', parts),
  error: (...parts) => log('ERROR', parts),
};

module.exports = { emit, outputs, counter, timer, logger };
