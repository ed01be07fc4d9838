/** Validation of notebook JSON by Debian's python3-nbformat, the reference implementation of the schema (tests and regeneration use it). */
import { execFileSync } from 'node:child_process';

const VALIDATE = `
import sys, json, nbformat
nb = nbformat.reads(sys.stdin.read(), as_version=nbformat.NO_CONVERT)
try:
    nbformat.validate(nb)
    print(json.dumps({"valid": True, "version": [nb.nbformat, nb.nbformat_minor]}))
except nbformat.ValidationError as error:
    print(json.dumps({"valid": False, "message": str(error)[:2000]}))
`;

/** What nbformat.validate says of a notebook's JSON text. */
export function validateWithNbformat(json: string): { valid: boolean; version?: [number, number]; message?: string } {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', VALIDATE], { input: json, encoding: 'utf8' })) as {
    valid: boolean;
    version?: [number, number];
    message?: string;
  };
}
