/** Run-time compilation of config schemas (loads ajv; see config.ts for the ahead-of-time path). */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { AJV_OPTIONS, configValidatorFrom } from './config.ts';

let ajv: Ajv | undefined;

/** The shared ajv instance, created on first use. */
export function configAjv(): Ajv {
  if (!ajv) {
    ajv = new Ajv(AJV_OPTIONS);
    addFormats(ajv);
  }
  return ajv;
}

/** Compiles a schema on first use; the returned function validates (filling defaults) or throws ConfigError naming each bad key. */
export function compileConfigValidator<T>(schema: object): (value: unknown, source: string) => T {
  let validate: ((value: unknown, source: string) => T) | undefined;
  return (value, source) => {
    validate ??= configValidatorFrom<T>(configAjv().compile(schema), schema);
    return validate(value, source);
  };
}
