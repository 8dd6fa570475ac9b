// SPDX-License-Identifier: MIT
// node validate.js FILE: FILE against speedscope's own file-format-schema.json.
const Ajv = require("ajv");
const fs = require("fs");

const schema = JSON.parse(
	fs.readFileSync(require.resolve("speedscope/dist/release/file-format-schema.json")));
const ajv = new Ajv({ strict: false });
const ok = ajv.validate(schema, JSON.parse(fs.readFileSync(process.argv[2], "utf8")));
console.log(ok ? "schema OK" : JSON.stringify(ajv.errors));
process.exit(ok ? 0 : 1);
