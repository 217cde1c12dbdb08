#!/usr/bin/env node
/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
/******/ 	var __webpack_modules__ = ({

/***/ 598:
/***/ ((module) => {

module.exports = require("node:crypto");

/***/ }),

/***/ 24:
/***/ ((module) => {

module.exports = require("node:fs");

/***/ })

/******/ 	});
/************************************************************************/
/******/ 	// The module cache
/******/ 	var __webpack_module_cache__ = {};
/******/ 	
/******/ 	// The require function
/******/ 	function __nccwpck_require__(moduleId) {
/******/ 		// Check if module is in cache
/******/ 		var cachedModule = __webpack_module_cache__[moduleId];
/******/ 		if (cachedModule !== undefined) {
/******/ 			return cachedModule.exports;
/******/ 		}
/******/ 		// Create a new module (and put it into the cache)
/******/ 		var module = __webpack_module_cache__[moduleId] = {
/******/ 			// no module.id needed
/******/ 			// no module.loaded needed
/******/ 			exports: {}
/******/ 		};
/******/ 	
/******/ 		// Execute the module function
/******/ 		var threw = true;
/******/ 		try {
/******/ 			__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 			threw = false;
/******/ 		} finally {
/******/ 			if(threw) delete __webpack_module_cache__[moduleId];
/******/ 		}
/******/ 	
/******/ 		// Return the exports of the module
/******/ 		return module.exports;
/******/ 	}
/******/ 	
/******/ 	// expose the modules object (__webpack_modules__)
/******/ 	__nccwpck_require__.m = __webpack_modules__;
/******/ 	
/************************************************************************/
/******/ 	/* webpack/runtime/asset-relocator-loader */
/******/ 	if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = __dirname + "/";
/******/ 	
/******/ 	/* webpack/runtime/create fake namespace object */
/******/ 	(() => {
/******/ 		var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 		var leafPrototypes;
/******/ 		// create a fake namespace object
/******/ 		// mode & 1: value is a module id, require it
/******/ 		// mode & 2: merge all properties of value into the ns
/******/ 		// mode & 4: return value when already ns object
/******/ 		// mode & 16: return value when it's Promise-like
/******/ 		// mode & 8|1: behave like require
/******/ 		__nccwpck_require__.t = function(value, mode) {
/******/ 			if(mode & 1) value = this(value);
/******/ 			if(mode & 8) return value;
/******/ 			if(typeof value === 'object' && value) {
/******/ 				if((mode & 4) && value.__esModule) return value;
/******/ 				if((mode & 16) && typeof value.then === 'function') return value;
/******/ 			}
/******/ 			var ns = Object.create(null);
/******/ 			__nccwpck_require__.r(ns);
/******/ 			var def = {};
/******/ 			leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 			for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 				Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 			}
/******/ 			def['default'] = () => (value);
/******/ 			__nccwpck_require__.d(ns, def);
/******/ 			return ns;
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/define property getters */
/******/ 	(() => {
/******/ 		// define getter functions for harmony exports
/******/ 		__nccwpck_require__.d = (exports, definition) => {
/******/ 			for(var key in definition) {
/******/ 				if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 					Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 				}
/******/ 			}
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/ensure chunk */
/******/ 	(() => {
/******/ 		__nccwpck_require__.f = {};
/******/ 		// This file contains only the entry chunk.
/******/ 		// The chunk loading function for additional chunks
/******/ 		__nccwpck_require__.e = (chunkId) => {
/******/ 			return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 				__nccwpck_require__.f[key](chunkId, promises);
/******/ 				return promises;
/******/ 			}, []));
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/get javascript chunk filename */
/******/ 	(() => {
/******/ 		// This function allow to reference async chunks
/******/ 		__nccwpck_require__.u = (chunkId) => {
/******/ 			// return url for filenames based on template
/******/ 			return "" + chunkId + ".index.js";
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/hasOwnProperty shorthand */
/******/ 	(() => {
/******/ 		__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/make namespace object */
/******/ 	(() => {
/******/ 		// define __esModule on exports
/******/ 		__nccwpck_require__.r = (exports) => {
/******/ 			if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 				Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 			}
/******/ 			Object.defineProperty(exports, '__esModule', { value: true });
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/require chunk loading */
/******/ 	(() => {
/******/ 		// no baseURI
/******/ 		
/******/ 		// object to store loaded chunks
/******/ 		// "1" means "loaded", otherwise not loaded yet
/******/ 		var installedChunks = {
/******/ 			792: 1
/******/ 		};
/******/ 		
/******/ 		// no on chunks loaded
/******/ 		
/******/ 		var installChunk = (chunk) => {
/******/ 			var moreModules = chunk.modules, chunkIds = chunk.ids, runtime = chunk.runtime;
/******/ 			for(var moduleId in moreModules) {
/******/ 				if(__nccwpck_require__.o(moreModules, moduleId)) {
/******/ 					__nccwpck_require__.m[moduleId] = moreModules[moduleId];
/******/ 				}
/******/ 			}
/******/ 			if(runtime) runtime(__nccwpck_require__);
/******/ 			for(var i = 0; i < chunkIds.length; i++)
/******/ 				installedChunks[chunkIds[i]] = 1;
/******/ 		
/******/ 		};
/******/ 		
/******/ 		// require() chunk loading for javascript
/******/ 		__nccwpck_require__.f.require = (chunkId, promises) => {
/******/ 			// "1" is the signal for "already loaded"
/******/ 			if(!installedChunks[chunkId]) {
/******/ 				if(true) { // all chunks have JS
/******/ 					installChunk(require("./" + __nccwpck_require__.u(chunkId)));
/******/ 				} else installedChunks[chunkId] = 1;
/******/ 			}
/******/ 		};
/******/ 		
/******/ 		// no external install chunk
/******/ 		
/******/ 		// no HMR
/******/ 		
/******/ 		// no HMR manifest
/******/ 	})();
/******/ 	
/************************************************************************/
var __webpack_exports__ = {};

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(24);
;// CONCATENATED MODULE: external "node:readline"
const external_node_readline_namespaceObject = require("node:readline");
;// CONCATENATED MODULE: ./src/errors.ts
class PgshiftError extends Error {
    constructor(message) {
        super(message);
        this.name = 'PgshiftError';
    }
}
/** Bad flags or inputs, a missing directory, a bad URL: nothing was attempted. */
class ConfigError extends PgshiftError {
    constructor(message) {
        super(message);
        this.name = 'ConfigError';
    }
}
/** The database could not be reached (after retries) or refused the login. */
class ConnectionError extends PgshiftError {
    constructor(message) {
        super(message);
        this.name = 'ConnectionError';
    }
}
/** The files or the tracking table refuse the run (checksum, missing, order, parse, failed). */
class ValidationError extends PgshiftError {
    problems;
    constructor(message, problems) {
        super(message);
        this.problems = problems;
        this.name = 'ValidationError';
    }
}
/** The safety policy or the protected-environment guard refused the run before anything ran. */
class PolicyError extends PgshiftError {
    findings;
    constructor(message, findings) {
        super(message);
        this.findings = findings;
        this.name = 'PolicyError';
    }
}
/** Another run holds the migration lock. */
class LockError extends PgshiftError {
    holder;
    constructor(message, holder) {
        super(message);
        this.holder = holder;
        this.name = 'LockError';
    }
}
/** A migration's SQL failed; `failure` says where, and what state the database is in. */
class MigrationFailedError extends PgshiftError {
    failure;
    constructor(message, failure) {
        super(message);
        this.failure = failure;
        this.name = 'MigrationFailedError';
    }
}
/** The run was interrupted (SIGINT/SIGTERM); the current migration was rolled back. */
class AbortedError extends PgshiftError {
    constructor(message = 'interrupted: the running migration was cancelled and rolled back') {
        super(message);
        this.name = 'AbortedError';
    }
}
/** Anything pgshift did not raise on purpose: a bug, kept with its stack for the report. */
class UnexpectedError extends PgshiftError {
    cause;
    constructor(cause) {
        super(cause?.message ?? String(cause));
        this.cause = cause;
        this.name = 'UnexpectedError';
        this.stack = cause?.stack ?? this.stack;
    }
}
/** The health check failed after the run (and no automatic rollback was asked for). */
class HealthCheckError extends PgshiftError {
    constructor(message) {
        super(message);
        this.name = 'HealthCheckError';
    }
}
/**
 * A migration or the health check failed, and the automatic rollback ran (--rollback-on-failure):
 * the message says why and what is still applied; `rollback` holds the details.
 */
class RollbackError extends PgshiftError {
    rollback;
    failure;
    constructor(message, rollback, failure) {
        super(message);
        this.rollback = rollback;
        this.failure = failure;
        this.name = 'RollbackError';
    }
}
/** The backup before the run (--backup) could not be written or did not check out: nothing was applied. */
class BackupError extends PgshiftError {
    constructor(message) {
        super(message);
        this.name = 'BackupError';
    }
}

;// CONCATENATED MODULE: ./src/db/adopt/types.ts
const types_TOOLS = ['dbmate', 'golang-migrate', 'goose', 'sql-migrate', 'flyway', 'node-pg-migrate', 'prisma', 'supabase'];
/** The table as SQL text: "public"."goose_db_version". */
function qualified(t) {
    return `"${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`;
}
/** The table as a person writes it: public.goose_db_version. */
function shownTable(t) {
    return `${t.schema}.${t.name}`;
}
const hasColumns = (columns, wanted) => wanted.every((c) => columns.includes(c));

;// CONCATENATED MODULE: ./src/files/version.ts
// Versions order numerically, part by part ("2" before "10", Flyway "1.10" after "1.9"), never as strings.
/** Numeric parts of a version; trailing zero parts dropped so "1" and "1.0" are one version. */
function version_versionKey(version) {
    // A row written by another tool may hold a non-numeric version: it sorts first instead of throwing.
    if (!version_isVersion(version))
        return [-1n];
    const parts = version.split(/[._]/).map((p) => BigInt(p));
    while (parts.length > 1 && parts[parts.length - 1] === 0n)
        parts.pop();
    return parts;
}
function compareKeys(a, b) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
        const x = a[i] ?? 0n;
        const y = b[i] ?? 0n;
        if (x !== y)
            return x < y ? -1 : 1;
    }
    return 0;
}
function compareVersions(a, b) {
    return compareKeys(version_versionKey(a), version_versionKey(b));
}
/**
 * A stable identity for a version: "001" and "1", "1.0" and "1_0" map to the same string. Plain string
 * work (no BigInt): it runs for every file and every tracking row on every deploy.
 */
function versionId(version) {
    if (!version_isVersion(version))
        return version;
    const parts = version.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ''));
    while (parts.length > 1 && parts[parts.length - 1] === '0')
        parts.pop();
    return parts.join('.');
}
function version_isVersion(text) {
    return /^\d+(?:[._]\d+)*$/.test(text);
}

;// CONCATENATED MODULE: ./src/settings.ts
// One row per setting: its key, its CLI flag, its action input, its default, how its text is parsed
// and its help. CLI parsing and --help, the action's input defaults (and action.yml, by a test), and
// the words a message uses to name a setting all derive from this table.



const POLICIES = ['', 'additive-only'];
/** --backup: '' is "auto in a protected environment, none elsewhere". */
const BACKUP_MODES = ['', 'none', 'auto', 'full'];
const NOTIFY_FORMATS = ['slack', 'teams', 'discord', 'json'];
/** The outcomes of a deploy a notification can be sent for. */
const NOTIFY_OUTCOMES = ['applied', 'up-to-date', 'failed', 'refused', 'rolled-back'];
const UNITS = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
/** Postgres keeps lock_timeout and statement_timeout in an int of milliseconds: INT_MAX is its limit. */
const PG_MAX_TIMEOUT_MS = 2_147_483_647;
/** Durations with no bounds of their own: anything up to Postgres's limit. */
const ANY_DURATION = { zeroAllowed: true, max: PG_MAX_TIMEOUT_MS, maxShown: '2147483647ms' };
/** "10s", "500ms", "2min", "1h", or a bare number of seconds → milliseconds, within `bounds`. */
function parseDuration(text, shownAs, bounds = ANY_DURATION) {
    const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?$/i);
    if (!m)
        throw new ConfigError(`${shownAs} ${text} is not a duration: use a number with a unit, like 10s, 500ms or 2min.`);
    const exact = Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()];
    const ms = Math.round(exact);
    // Postgres and the timers count whole milliseconds: 0.1ms would become 0, which means something else.
    if (exact > 0 && ms === 0)
        throw new ConfigError(`${shownAs} ${text.trim()} is less than a millisecond, which would round to 0${bounds.zeroMeans ? ` (${bounds.zeroMeans})` : ''}: give at least 1ms.`);
    if (ms === 0 && !bounds.zeroAllowed)
        throw new ConfigError(`${shownAs} cannot be 0: ${bounds.zeroMeans ?? 'give a positive duration'}. Give at least 1ms.`);
    if (ms > bounds.max)
        throw new ConfigError(`${shownAs} ${text.trim()} is more than ${bounds.maxShown}. Give a shorter duration.`);
    return ms;
}
/** The longest a run waits for another run's lock: the longest job GitHub-hosted runners allow. */
const LOCK_WAIT = { zeroAllowed: true, max: 6 * 3_600_000, maxShown: '6h, the longest a GitHub-hosted job may run' };
/** Health checks are retried for at most an hour: a deploy that waits longer for its app is stuck. */
const HEALTH_TIMEOUT = { zeroAllowed: true, max: 3_600_000, maxShown: '1h' };
/** A database that does not answer within an hour is not starting up: a bare number is seconds, so 3600 is the most. */
const CONNECT_TIMEOUT = { zeroMeans: 'pgshift would give up before trying to connect', max: 3_600_000, maxShown: '1h (a bare number means seconds)' };
const LOCK_TIMEOUT = {
    zeroMeans: 'lock_timeout = 0 means no lock timeout, so a blocked ALTER would queue every query on its table behind it',
    max: PG_MAX_TIMEOUT_MS,
    maxShown: "2147483647ms (about 24 days), Postgres's limit for lock_timeout",
};
const STATEMENT_TIMEOUT = {
    zeroMeans: 'statement_timeout = 0 means no timeout; leave the setting out for none',
    max: PG_MAX_TIMEOUT_MS,
    maxShown: "2147483647ms (about 24 days), Postgres's limit for statement_timeout",
};
/** Postgres keeps NAMEDATALEN - 1 bytes of an identifier and silently cuts the rest. */
const PG_MAX_IDENTIFIER_BYTES = 63;
/**
 * The tracking schema's name as Postgres will keep it. A longer name would be cut by the server while
 * the lock key is made from the whole name: two runs could then take different locks on one table.
 */
function parseSchemaName(t, shownAs) {
    const name = t.trim();
    if (!name)
        throw new ConfigError(`${shownAs} is empty: give the schema of the tracking tables, or leave it out for public.`);
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > PG_MAX_IDENTIFIER_BYTES) {
        throw new ConfigError(`${shownAs} "${name}" is ${bytes} bytes long; Postgres keeps only the first ${PG_MAX_IDENTIFIER_BYTES} bytes of a name and would cut it. Give a schema name of at most ${PG_MAX_IDENTIFIER_BYTES} bytes.`);
    }
    if (name.includes('\0'))
        throw new ConfigError(`${shownAs} contains a NUL character, which Postgres names cannot hold.`);
    if (name.startsWith('pg_') || name === 'information_schema') {
        throw new ConfigError(`${shownAs} ${name} is a system schema (names starting with pg_ and information_schema belong to Postgres): keep the tracking tables in a schema of your own, or leave it out for public.`);
    }
    return name;
}
function parseBoolean(text, shownAs) {
    const v = text.trim().toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(v))
        return true;
    if (['false', 'no', 'off', '0'].includes(v))
        return false;
    throw new ConfigError(`${shownAs} must be true or false, not "${text}".`);
}
function parseList(text) {
    return text
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter(Boolean);
}
function count(min) {
    return (text, shownAs) => {
        const t = text.trim();
        if (!/^\d+$/.test(t))
            throw new ConfigError(`${shownAs} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${text}".`);
        if (Number(t) < min)
            throw new ConfigError(`${shownAs} must be at least ${min}${min === 1 ? ' (leave it out for all pending migrations)' : ''}.`);
        return Number(t);
    };
}
/** The action's repair-versions: versions, or "all" alone; [] when empty. */
function parseRepairVersions(t, shownAs) {
    const list = parseList(t);
    if (list.some((v) => v.toLowerCase() === 'all')) {
        if (list.length > 1)
            throw new ConfigError(`${shownAs} is "all" or a list of versions, not both.`);
        return ['all'];
    }
    const bad = list.find((v) => !version_isVersion(v));
    if (bad !== undefined)
        throw new ConfigError(`${shownAs}: "${bad}" is not a version: use the number at the start of a migration file name, or all.`);
    return list;
}
/** A tool adopt can take over from, by the name its users know it by. */
function parseTool(t, shownAs) {
    const tool = t.trim().toLowerCase();
    if (!tool)
        return '';
    if (types_TOOLS.includes(tool))
        return tool;
    throw new ConfigError(`${shownAs} must be one of ${types_TOOLS.join(', ')}, not "${t.trim()}".`);
}
/** --notify-on: outcomes, "failure" (failed and refused) or "always" (every outcome). */
function parseNotifyOn(t, shownAs) {
    const out = new Set();
    for (const word of parseList(t.toLowerCase())) {
        if (word === 'always')
            NOTIFY_OUTCOMES.forEach((o) => out.add(o));
        else if (word === 'failure')
            ['failed', 'refused'].forEach((o) => out.add(o));
        else if (NOTIFY_OUTCOMES.includes(word))
            out.add(word);
        else
            throw new ConfigError(`${shownAs}: "${word}" is not an outcome: use ${NOTIFY_OUTCOMES.join(', ')}, failure or always.`);
    }
    return [...out];
}
const settings_text = (t) => t.trim();
const optionalText = (t) => t.trim() || undefined;
const duration = (bounds) => (t, shownAs) => parseDuration(t, shownAs, bounds);
const optionalDuration = (bounds) => (t, shownAs) => (t.trim() ? parseDuration(t, shownAs, bounds) : undefined);
const flagOnly = (why) => ({ shell: 'cli', why });
// Which commands a flag applies to, by what the command does. plan is the dry run of up and down, and
// takes their flags (those about running change nothing in a plan): one set of flags serves both.
const CONNECTING = ['up', 'down', 'status', 'plan', 'lint', 'resolve', 'repair', 'adopt', 'baseline', 'verify', 'dump', 'drift', 'history'];
/** Commands that replay migrations on a shadow database. */
const SHADOWING = ['verify', 'dump', 'drift'];
const EVERY = [...CONNECTING, 'new'];
const SELECTING = ['up', 'down', 'plan', 'lint'];
const DEPLOYING = ['up', 'down', 'plan'];
const REVIEWING = ['up', 'down', 'plan'];
const LOCKING = ['up', 'down', 'plan', 'resolve', 'repair', 'adopt', 'baseline'];
const inputOnly = (why) => ({ shell: 'action', why });
/** The settings table. Order is the order of --help. */
const SETTINGS = {
    dir: { key: 'dir', commands: EVERY, flag: '--dir', short: 'd', input: 'migrations-dir', arg: '<path>', default: 'migrations', shown: 'migrations', parse: settings_text, help: 'migrations directory' },
    databaseUrl: {
        key: 'databaseUrl',
        commands: CONNECTING,
        flag: '--database-url',
        input: 'database-url',
        arg: '<url>',
        default: '',
        shown: '',
        parse: settings_text,
        help: 'target database (CLI default $DATABASE_URL); must start with postgres:// or postgresql://',
    },
    shadowUrl: {
        key: 'shadowUrl',
        commands: [...SHADOWING, 'up', 'down', 'baseline'],
        flag: '--shadow-url',
        input: 'shadow-database-url',
        arg: '<url>',
        default: '',
        shown: '',
        parse: settings_text,
        help: 'a scratch server where the role may CREATE DATABASE (CLI default $PGSHIFT_SHADOW_URL): migrations are proven on a fresh database there, dropped afterwards',
    },
    includeOwners: {
        key: 'includeOwners',
        commands: SHADOWING,
        flag: '--include-owners',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'verify, dump, drift: compare and print owners too (left out by default: a shadow database has other owners)',
        onlyIn: flagOnly('the action compares schemas for a review, where owners of a shadow database mean nothing'),
    },
    allowNoDown: {
        key: 'allowNoDown',
        commands: ['verify'],
        flag: '--allow-no-down',
        input: 'allow-no-down',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'verify: a migration with no down (irreversible by design) does not fail the check',
    },
    out: {
        key: 'out',
        commands: ['dump'],
        flag: '--out',
        short: 'o',
        arg: '<file>',
        default: undefined,
        shown: '',
        parse: optionalText,
        help: 'dump: write the schema to this file instead of standard output',
        onlyIn: flagOnly('the action writes the dump to its schema-file input'),
    },
    fromMigrations: {
        key: 'fromMigrations',
        commands: ['dump'],
        flag: '--from-migrations',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: "dump: the schema the migration directory produces on the shadow database, not the target's",
        onlyIn: flagOnly('the action compares its schema-file with the migrations on a dry run, and dumps the target after an apply'),
    },
    checkDrift: {
        key: 'checkDrift',
        commands: ['up', 'down'],
        flag: '--check-drift',
        input: 'check-drift',
        default: undefined,
        // Empty: true when a shadow database is given.
        shown: '',
        parse: (t, shownAs) => (t.trim() ? parseBoolean(t, shownAs) : undefined),
        help: 'in a protected environment, compare the live schema with what its applied migrations produce on the shadow database before applying, and print the drift',
    },
    failOnDrift: {
        key: 'failOnDrift',
        commands: ['up', 'down'],
        flag: '--fail-on-drift',
        input: 'fail-on-drift',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'refuse the deploy when the drift check finds differences',
    },
    schemaFile: {
        key: 'schemaFile',
        commands: ['up', 'down'],
        flag: '--schema-file',
        input: 'schema-file',
        arg: '<path>',
        default: undefined,
        shown: '',
        parse: optionalText,
        help: 'after a successful deploy, write the schema there as pgshift dump does; on a dry run with a shadow database, a committed file that differs from the migrations is a finding',
    },
    driftOnly: {
        key: 'driftOnly',
        input: 'drift-only',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'only check drift (with shadow-database-url): nothing is applied; on drift an issue "Schema drift in <environment>" is opened (or commented on), and closed once the drift is gone',
        onlyIn: inputOnly('the CLI has pgshift drift, a command of its own'),
    },
    verify: {
        key: 'verify',
        input: 'verify',
        default: undefined,
        // Empty: true when a shadow database is given.
        shown: '',
        parse: (t, shownAs) => (t.trim() ? parseBoolean(t, shownAs) : undefined),
        help: 'on a dry run with a shadow database, verify each pending migration (up, down, up again); a failed verification fails the check',
        onlyIn: inputOnly('the CLI has pgshift verify, a command of its own'),
    },
    schema: {
        key: 'schema',
        commands: CONNECTING,
        flag: '--schema',
        input: 'tracking-schema',
        arg: '<name>',
        default: 'public',
        shown: 'public',
        parse: parseSchemaName,
        help: 'schema of the tracking tables',
    },
    environment: {
        key: 'environment',
        commands: ['up', 'down', 'plan', 'resolve', 'repair', 'adopt', 'baseline', 'history'],
        flag: '--env',
        input: 'environment',
        arg: '<name>',
        default: 'development',
        shown: 'development',
        parse: (t) => t.trim() || 'development',
        help: 'environment recorded in the history; protected ones get the guard and the safety policy',
    },
    direction: {
        key: 'direction',
        input: 'direction',
        default: 'up',
        shown: 'up',
        parse: (t, shownAs) => {
            const d = t.trim();
            if (d !== 'up' && d !== 'down')
                throw new ConfigError(`${shownAs} must be "up" or "down", not "${d}".`);
            return d;
        },
        help: 'up (apply pending migrations) or down (roll back applied ones)',
        onlyIn: inputOnly('the CLI names the direction as its command: pgshift up, pgshift down'),
    },
    dryRun: {
        key: 'dryRun',
        // The CLI's dry run of up and down is a command of its own (pgshift plan); adopt and baseline take the flag.
        commands: ['adopt', 'baseline'],
        flag: '--dry-run',
        input: 'dry-run',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'adopt, baseline: say what would be recorded and write nothing (the action: plan only: read-only, no table, no lock)',
    },
    target: {
        key: 'target',
        commands: SELECTING,
        flag: '--target',
        input: 'target-version',
        arg: '<version>',
        default: undefined,
        shown: '',
        parse: optionalText,
        help: 'up: apply up to this version; down: roll back everything above it (0: all)',
    },
    steps: {
        key: 'steps',
        commands: SELECTING,
        flag: '--steps',
        input: 'steps',
        arg: '<n>',
        default: undefined,
        shown: '',
        parse: (t, shownAs) => (t.trim() ? count(1)(t, shownAs) : undefined),
        help: 'at most n migrations (down: default 1)',
    },
    lockWait: {
        key: 'lockWait',
        commands: LOCKING,
        flag: '--lock-wait',
        input: 'lock-wait',
        arg: '<dur>',
        default: 60_000,
        shown: '60s',
        parse: duration(LOCK_WAIT),
        help: "wait this long for another run's lock",
    },
    lockTimeout: {
        key: 'lockTimeout',
        commands: DEPLOYING,
        flag: '--lock-timeout',
        input: 'lock-timeout',
        arg: '<dur>',
        default: 10_000,
        shown: '10s',
        parse: duration(LOCK_TIMEOUT),
        help: 'SET LOCAL lock_timeout in each migration',
    },
    lockRetries: {
        key: 'lockRetries',
        commands: DEPLOYING,
        flag: '--lock-retries',
        input: 'lock-retries',
        arg: '<n>',
        default: 3,
        shown: '3',
        parse: count(0),
        help: 'retries of a migration that hit the lock timeout',
    },
    statementTimeout: {
        key: 'statementTimeout',
        commands: DEPLOYING,
        flag: '--statement-timeout',
        input: 'statement-timeout',
        arg: '<dur>',
        default: undefined,
        shown: '',
        parse: optionalDuration(STATEMENT_TIMEOUT),
        help: 'SET LOCAL statement_timeout in each migration (default none)',
    },
    connectTimeout: {
        key: 'connectTimeout',
        commands: CONNECTING,
        flag: '--connect-timeout',
        input: 'connect-timeout',
        arg: '<dur>',
        default: 30_000,
        shown: '30s',
        parse: duration(CONNECT_TIMEOUT),
        help: 'bounds connecting (TCP, TLS, login, first query), retried this long; a refused connection (nothing listening) is retried 5s unless this is given',
    },
    singleTransaction: {
        key: 'singleTransaction',
        commands: DEPLOYING,
        flag: '--single-transaction',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'run the whole batch all-or-nothing (transactional migrations only)',
        onlyIn: flagOnly('a deploy applies each migration in its own transaction, so that a failure keeps what came before it recorded; all-or-nothing batches are for a developer at a terminal'),
    },
    allowMissing: {
        key: 'allowMissing',
        commands: [...SELECTING, 'adopt'],
        flag: '--allow-missing',
        input: 'allow-missing',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: "go on when an applied migration's file is gone",
    },
    allowOutOfOrder: {
        key: 'allowOutOfOrder',
        commands: SELECTING,
        flag: '--allow-out-of-order',
        input: 'allow-out-of-order',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'apply pending migrations older than the newest applied one',
    },
    backup: {
        key: 'backup',
        commands: DEPLOYING,
        flag: '--backup',
        input: 'backup',
        arg: '<mode>',
        default: '',
        // Empty: auto in a protected environment, none elsewhere.
        shown: '',
        parse: (t, shownAs) => {
            const m = t.trim().toLowerCase();
            if (!BACKUP_MODES.includes(m))
                throw new ConfigError(`${shownAs} must be none, auto or full, not "${t.trim()}".`);
            return m;
        },
        help: 'a pg_dump before anything is applied: none, auto (the schema plus the data of the tables the run drops, empties or rewrites) or full (default auto in protected environments, none elsewhere)',
    },
    pgDump: {
        key: 'pgDump',
        commands: DEPLOYING,
        flag: '--pg-dump',
        input: 'pg-dump-path',
        arg: '<path>',
        default: '',
        shown: '',
        parse: settings_text,
        help: "the pg_dump to back up with (default: pg_dump on PATH); its major version must be at least the server's",
    },
    backupDir: {
        key: 'backupDir',
        commands: DEPLOYING,
        flag: '--backup-dir',
        input: 'backup-dir',
        arg: '<path>',
        default: '',
        shown: '',
        parse: settings_text,
        help: 'where the backup is written (default $RUNNER_TEMP on a runner, else the system temporary folder)',
    },
    healthCheckSql: {
        key: 'healthCheckSql',
        commands: DEPLOYING,
        flag: '--health-check-sql',
        input: 'health-check-sql',
        arg: '<query>',
        default: '',
        shown: '',
        parse: settings_text,
        help: "after the run (also when nothing was pending): passes when the query's first row's first column is true",
    },
    healthCheckUrl: {
        key: 'healthCheckUrl',
        commands: DEPLOYING,
        flag: '--health-check-url',
        input: 'health-check-url',
        arg: '<url>',
        default: '',
        shown: '',
        parse: (t, shownAs) => {
            const u = t.trim();
            if (u && !/^https?:\/\//i.test(u))
                throw new ConfigError(`${shownAs} must be an http:// or https:// URL, not "${u}".`);
            return u;
        },
        help: 'after the run (also when nothing was pending): passes on a 2xx answer to a GET',
    },
    healthCheckTimeout: {
        key: 'healthCheckTimeout',
        commands: DEPLOYING,
        flag: '--health-check-timeout',
        input: 'health-check-timeout',
        arg: '<dur>',
        default: 60_000,
        shown: '60s',
        parse: duration(HEALTH_TIMEOUT),
        help: 'how long the health checks are retried (with backoff) before they fail',
    },
    rollbackOnFailure: {
        key: 'rollbackOnFailure',
        commands: DEPLOYING,
        flag: '--rollback-on-failure',
        input: 'rollback-on-failure',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'when a migration or the health check fails, roll back (newest first, with their downs) every migration this run applied; refused beforehand when one cannot be rolled back',
    },
    allowIrreversible: {
        key: 'allowIrreversible',
        commands: DEPLOYING,
        flag: '--allow-irreversible',
        input: 'allow-irreversible',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'with --rollback-on-failure: run even though some pending migrations cannot be rolled back automatically',
    },
    notifyUrl: {
        key: 'notifyUrl',
        commands: ['up', 'down'],
        flag: '--notify-url',
        input: 'notify-url',
        arg: '<url>',
        default: '',
        shown: '',
        parse: (t, shownAs) => {
            const u = t.trim();
            if (u && !/^https?:\/\//i.test(u))
                throw new ConfigError(`${shownAs} must be an http:// or https:// URL (a webhook), not a value of another kind.`);
            return u;
        },
        help: 'a webhook (Slack, Microsoft Teams, Discord, or any JSON endpoint) told the outcome of the deploy (CLI default $PGSHIFT_NOTIFY_URL)',
    },
    notifyFormat: {
        key: 'notifyFormat',
        commands: ['up', 'down'],
        flag: '--notify-format',
        input: 'notify-format',
        arg: '<format>',
        default: 'slack',
        shown: 'slack',
        parse: (t, shownAs) => {
            const f = t.trim().toLowerCase();
            if (!NOTIFY_FORMATS.includes(f))
                throw new ConfigError(`${shownAs} must be one of ${NOTIFY_FORMATS.join(', ')}, not "${t.trim()}".`);
            return f;
        },
        help: `the webhook's body: ${NOTIFY_FORMATS.join(', ')} (json: documented in docs/notifications.md)`,
    },
    notifyOn: {
        key: 'notifyOn',
        commands: ['up', 'down'],
        flag: '--notify-on',
        input: 'notify-on',
        arg: '<list>',
        default: ['failed', 'refused', 'rolled-back'],
        shown: 'failure,rolled-back',
        parse: parseNotifyOn,
        help: 'comma-separated outcomes that send a notification: applied, up-to-date, failed, refused, rolled-back; failure (failed and refused); always',
    },
    protectedEnvironments: {
        key: 'protectedEnvironments',
        commands: REVIEWING,
        flag: '--protected-environments',
        input: 'protected-environments',
        arg: '<list>',
        default: ['production'],
        shown: 'production',
        parse: (t) => parseList(t).map((e) => e.toLowerCase()),
        help: 'comma-separated environments where a down needs --confirm and destructive findings refuse the run',
    },
    confirm: {
        key: 'confirm',
        commands: ['down', 'plan'],
        flag: '--confirm',
        input: 'confirm',
        arg: '<phrase>',
        default: '',
        shown: '',
        parse: settings_text,
        help: 'MIGRATE-<ENV> (MIGRATE-PRODUCTION): allows a down in a protected environment',
    },
    allowDestructive: {
        key: 'allowDestructive',
        commands: REVIEWING,
        flag: '--allow-destructive',
        input: 'allow-destructive',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'allow destructive statements (DROP TABLE, DROP COLUMN, TRUNCATE, …) in a protected environment',
    },
    failOnLint: {
        key: 'failOnLint',
        commands: REVIEWING,
        flag: '--fail-on-lint',
        input: 'fail-on-lint',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'outside protected environments, refuse the run on error-level safety findings',
    },
    policy: {
        key: 'policy',
        commands: REVIEWING,
        flag: '--policy',
        input: 'policy',
        arg: '<name>',
        default: '',
        shown: '',
        parse: (t, shownAs) => {
            const p = t.trim().toLowerCase();
            if (!POLICIES.includes(p))
                throw new ConfigError(`${shownAs} must be empty or "additive-only", not "${t}".`);
            return p;
        },
        help: 'additive-only: refuse every destructive statement in every environment',
    },
    config: {
        key: 'config',
        commands: ['up', 'down', 'plan', 'lint'],
        flag: '--config',
        arg: '<file>',
        default: undefined,
        shown: '',
        parse: optionalText,
        help: 'linter settings (default ./pgshift.json when it exists); see docs/rules.md',
        onlyIn: flagOnly('the action reads pgshift.json at the root of the checked-out workspace, where the repository keeps it'),
    },
    since: {
        key: 'since',
        commands: ['plan', 'lint'],
        flag: '--since',
        arg: '<git-ref>',
        default: undefined,
        shown: '',
        parse: optionalText,
        help: 'plan and lint from git instead of a database: the migrations added or changed since this ref (branch, tag or commit) are pending; the others count as applied, so findings on what they created are reported',
        onlyIn: flagOnly("the action reads the pull request's base commit from the event, and the files the pull request changes from the GitHub API or git"),
    },
    exitCode: {
        key: 'exitCode',
        commands: ['status'],
        flag: '--exit-code',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'status: exit 1 when anything is pending',
        onlyIn: flagOnly('status is a terminal command; the action reports pending-count as an output'),
    },
    resolveApplied: {
        key: 'resolveApplied',
        commands: ['resolve'],
        flag: '--applied',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: "resolve: the migration's changes are in place",
        onlyIn: flagOnly('resolve settles a failed migration after a person has looked at the database: a terminal command'),
    },
    resolveRolledBack: {
        key: 'resolveRolledBack',
        commands: ['resolve'],
        flag: '--rolled-back',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: "resolve: the migration's changes are not in place",
        onlyIn: flagOnly('resolve settles a failed migration after a person has looked at the database: a terminal command'),
    },
    adoptFrom: {
        key: 'adoptFrom',
        commands: ['adopt'],
        flag: '--from',
        input: 'adopt-from',
        arg: '<tool>',
        default: '',
        shown: '',
        parse: parseTool,
        help: `adopt: the tool whose history table to take over (${types_TOOLS.join(', ')}); the action adopts once, before the plan`,
    },
    repairVersions: {
        key: 'repairVersions',
        input: 'repair-versions',
        default: [],
        shown: '',
        parse: parseRepairVersions,
        help: 'comma-separated applied versions (or all) whose changed files to accept before the deploy, recording each new checksum with repair-reason',
        onlyIn: inputOnly('the CLI names the versions as arguments of its repair command: pgshift repair <version>... (or --all)'),
    },
    repairReason: {
        key: 'repairReason',
        commands: ['repair'],
        flag: '--reason',
        input: 'repair-reason',
        arg: '<text>',
        default: '',
        shown: '',
        parse: settings_text,
        help: 'repair: why the changed file is right, recorded in the history (required)',
    },
    repairAll: {
        key: 'repairAll',
        commands: ['repair'],
        flag: '--all',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'repair: every changed applied migration, listed first (asks on a terminal; without one, needs --yes)',
        onlyIn: flagOnly('the action takes "all" in the repair-versions input, which is itself the deliberate yes'),
    },
    historyVersion: {
        key: 'historyVersion',
        commands: ['history'],
        // pgshift --version (any other command too) prints pgshift's version; after history it filters (cli/args.ts).
        flag: '--version',
        arg: '<version>',
        default: undefined,
        shown: '',
        parse: optionalText,
        help: 'history: only the rows of this version ("001" and "1" are one version)',
        onlyIn: flagOnly('the history is read at a terminal; the action reports its own run in the summary'),
    },
    historyLimit: {
        key: 'historyLimit',
        commands: ['history'],
        flag: '--limit',
        arg: '<n>',
        default: 50,
        shown: '50',
        parse: count(1),
        help: 'history: show at most n rows, newest first',
        onlyIn: flagOnly('the history is read at a terminal; the action reports its own run in the summary'),
    },
    json: {
        key: 'json',
        commands: EVERY,
        flag: '--json',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'print the result as JSON',
        onlyIn: flagOnly('the action writes JSON to the plan-file output'),
    },
    verbose: {
        key: 'verbose',
        commands: CONNECTING,
        flag: '--verbose',
        short: 'v',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'say more as it runs',
        onlyIn: flagOnly('the action always logs each migration in a group of its own'),
    },
    yes: {
        key: 'yes',
        commands: ['up', 'down', 'repair'],
        flag: '--yes',
        short: 'y',
        default: false,
        shown: 'false',
        parse: parseBoolean,
        help: 'on a terminal, run without asking (a destructive up, a down of several migrations or to 0)',
        onlyIn: flagOnly('only a terminal asks before destroying; the action has no one to ask and never does'),
    },
    envFile: {
        key: 'envFile',
        commands: CONNECTING,
        flag: '--env-file',
        arg: '<path>',
        default: undefined,
        shown: '',
        parse: optionalText,
        help: 'read variables such as DATABASE_URL from this file (default ./.env when it exists); the real environment wins',
        onlyIn: flagOnly("the action reads the workflow's env and secrets, where a deploy's settings belong"),
    },
    githubToken: {
        key: 'githubToken',
        input: 'github-token',
        default: '',
        shown: '${{ github.token }}',
        parse: settings_text,
        help: 'token for PR comments and failure issues',
        onlyIn: inputOnly('only the action talks to GitHub'),
    },
    commentOnPr: {
        key: 'commentOnPr',
        input: 'comment-on-pr',
        default: true,
        shown: 'true',
        parse: parseBoolean,
        help: 'keep one plan comment per environment and directory on pull requests',
        onlyIn: inputOnly('only the action talks to GitHub'),
    },
    openIssueOnFailure: {
        key: 'openIssueOnFailure',
        input: 'open-issue-on-failure',
        default: true,
        shown: 'true',
        parse: parseBoolean,
        help: 'open (or comment on) an issue when a run fails',
        onlyIn: inputOnly('only the action talks to GitHub'),
    },
    issueLabels: {
        key: 'issueLabels',
        input: 'issue-labels',
        default: ['database-migration'],
        shown: 'database-migration',
        parse: parseList,
        help: 'labels of the failure issue',
        onlyIn: inputOnly('only the action talks to GitHub'),
    },
};
const SETTING_ROWS = Object.values(SETTINGS);
/** How a shell names a setting inside a sentence: "--lock-wait" or "the lock-wait input". */
function nameOf(key, shell) {
    const s = SETTINGS[key];
    if (shell === 'cli')
        return s.flag ?? `the ${s.input} input`;
    return s.input ? `the ${s.input} input` : (s.flag ?? key);
}
/** How a parse error names the value it refuses: "--steps" or "input steps". */
function labelOf(key, shell) {
    const s = SETTINGS[key];
    if (shell === 'cli')
        return s.flag ?? key;
    return `input ${s.input ?? key}`;
}
/**
 * Every value, from the text a shell holds for each row (undefined or '' for "not given").
 * The first bad value throws ConfigError naming it the shell's way.
 */
function readSettings(shell, textOf) {
    const out = {};
    for (const [key, s] of Object.entries(SETTINGS)) {
        const t = textOf(s);
        out[key] = t === undefined || t === '' ? s.default : s.parse(t, labelOf(key, shell));
    }
    return out;
}
/**
 * Engine messages name settings by their CLI flags (the engine knows no shell). The action shows each
 * as its input: every flag in the table is translated, and a test fails when an engine message names a
 * flag the table does not have.
 */
function forShell(message, shell) {
    if (shell === 'cli')
        return message;
    return message.replace(/(?<![\w-])--([a-z][a-z-]*)(?![\w-])/g, (flag) => {
        const key = FLAG_KEYS.get(flag);
        return key ? nameOf(key, 'action') : flag;
    });
}
const FLAG_KEYS = new Map(Object.entries(SETTINGS).filter(([, s]) => s.flag).map(([k, s]) => [s.flag, k]));
/** The row whose CLI flag is `flag`, if any. */
function keyOfFlag(flag) {
    return FLAG_KEYS.get(flag);
}
/** The phrase that unlocks a down in a protected environment. */
function confirmPhrase(environment) {
    return `MIGRATE-${environment.toUpperCase()}`;
}

;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = require("node:os");
;// CONCATENATED MODULE: external "node:net"
const external_node_net_namespaceObject = require("node:net");
;// CONCATENATED MODULE: external "os"
const external_os_namespaceObject = require("os");
;// CONCATENATED MODULE: external "fs"
const external_fs_namespaceObject = require("fs");
;// CONCATENATED MODULE: ./node_modules/postgres/src/query.js
const originCache = new Map()
    , originStackCache = new Map()
    , originError = Symbol('OriginError')

const CLOSE = {}
class Query extends Promise {
  constructor(strings, args, handler, canceller, options = {}) {
    let resolve
      , reject

    super((a, b) => {
      resolve = a
      reject = b
    })

    this.tagged = Array.isArray(strings.raw)
    this.strings = strings
    this.args = args
    this.handler = handler
    this.canceller = canceller
    this.options = options

    this.state = null
    this.statement = null

    this.resolve = x => (this.active = false, resolve(x))
    this.reject = x => (this.active = false, reject(x))

    this.active = false
    this.cancelled = null
    this.executed = false
    this.signature = ''

    this[originError] = this.handler.debug
      ? new Error()
      : this.tagged && cachedError(this.strings)
  }

  get origin() {
    return (this.handler.debug
      ? this[originError].stack
      : this.tagged && originStackCache.has(this.strings)
        ? originStackCache.get(this.strings)
        : originStackCache.set(this.strings, this[originError].stack).get(this.strings)
    ) || ''
  }

  static get [Symbol.species]() {
    return Promise
  }

  cancel() {
    return this.canceller && (this.canceller(this), this.canceller = null)
  }

  simple() {
    this.options.simple = true
    this.options.prepare = false
    return this
  }

  async readable() {
    this.simple()
    this.streaming = true
    return this
  }

  async writable() {
    this.simple()
    this.streaming = true
    return this
  }

  cursor(rows = 1, fn) {
    this.options.simple = false
    if (typeof rows === 'function') {
      fn = rows
      rows = 1
    }

    this.cursorRows = rows

    if (typeof fn === 'function')
      return (this.cursorFn = fn, this)

    let prev
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          if (this.executed && !this.active)
            return { done: true }

          prev && prev()
          const promise = new Promise((resolve, reject) => {
            this.cursorFn = value => {
              resolve({ value, done: false })
              return new Promise(r => prev = r)
            }
            this.resolve = () => (this.active = false, resolve({ done: true }))
            this.reject = x => (this.active = false, reject(x))
          })
          this.execute()
          return promise
        },
        return() {
          prev && prev(CLOSE)
          return { done: true }
        }
      })
    }
  }

  describe() {
    this.options.simple = false
    this.onlyDescribe = this.options.prepare = true
    return this
  }

  stream() {
    throw new Error('.stream has been renamed to .forEach')
  }

  forEach(fn) {
    this.forEachFn = fn
    this.handle()
    return this
  }

  raw() {
    this.isRaw = true
    return this
  }

  values() {
    this.isRaw = 'values'
    return this
  }

  async handle() {
    !this.executed && (this.executed = true) && await 1 && this.handler(this)
  }

  execute() {
    this.handle()
    return this
  }

  then() {
    this.handle()
    return super.then.apply(this, arguments)
  }

  catch() {
    this.handle()
    return super.catch.apply(this, arguments)
  }

  finally() {
    this.handle()
    return super.finally.apply(this, arguments)
  }
}

function cachedError(xs) {
  if (originCache.has(xs))
    return originCache.get(xs)

  const x = Error.stackTraceLimit
  Error.stackTraceLimit = 4
  originCache.set(xs, new Error())
  Error.stackTraceLimit = x
  return originCache.get(xs)
}

;// CONCATENATED MODULE: ./node_modules/postgres/src/errors.js
class PostgresError extends Error {
  constructor(x) {
    super(x.message)
    this.name = this.constructor.name
    Object.assign(this, x)
  }
}

const Errors = {
  connection,
  postgres,
  generic,
  notSupported
}

function connection(x, options, socket) {
  const { host, port } = socket || options
  const error = Object.assign(
    new Error(('write ' + x + ' ' + (options.path || (host + ':' + port)))),
    {
      code: x,
      errno: x,
      address: options.path || host
    }, options.path ? {} : { port: port }
  )
  Error.captureStackTrace(error, connection)
  return error
}

function postgres(x) {
  const error = new PostgresError(x)
  Error.captureStackTrace(error, postgres)
  return error
}

function generic(code, message) {
  const error = Object.assign(new Error(code + ': ' + message), { code })
  Error.captureStackTrace(error, generic)
  return error
}

/* c8 ignore next 10 */
function notSupported(x) {
  const error = Object.assign(
    new Error(x + ' (B) is not supported'),
    {
      code: 'MESSAGE_NOT_SUPPORTED',
      name: x
    }
  )
  Error.captureStackTrace(error, notSupported)
  return error
}

;// CONCATENATED MODULE: ./node_modules/postgres/src/types.js



const types = {
  string: {
    to: 25,
    from: null,             // defaults to string
    serialize: x => '' + x
  },
  number: {
    to: 0,
    from: [21, 23, 26, 700, 701],
    serialize: x => '' + x,
    parse: x => +x
  },
  json: {
    to: 114,
    from: [114, 3802],
    serialize: x => JSON.stringify(x),
    parse: x => JSON.parse(x)
  },
  boolean: {
    to: 16,
    from: 16,
    serialize: x => x === true ? 't' : 'f',
    parse: x => x === 't'
  },
  date: {
    to: 1184,
    from: [1082, 1114, 1184],
    serialize: x => (x instanceof Date ? x : new Date(x)).toISOString(),
    parse: x => new Date(x)
  },
  bytea: {
    to: 17,
    from: 17,
    serialize: x => '\\x' + Buffer.from(x).toString('hex'),
    parse: x => Buffer.from(x.slice(2), 'hex')
  }
}

class NotTagged { then() { notTagged() } catch() { notTagged() } finally() { notTagged() }}

class Identifier extends NotTagged {
  constructor(value) {
    super()
    this.value = escapeIdentifier(value)
  }
}

class Parameter extends NotTagged {
  constructor(value, type, array) {
    super()
    this.value = value
    this.type = type
    this.array = array
  }
}

class Builder extends NotTagged {
  constructor(first, rest) {
    super()
    this.first = first
    this.rest = rest
  }

  build(before, parameters, types, options) {
    const keyword = builders.map(([x, fn]) => ({ fn, i: before.search(x) })).sort((a, b) => a.i - b.i).pop()
    return keyword.i === -1
      ? escapeIdentifiers(this.first, options)
      : keyword.fn(this.first, this.rest, parameters, types, options)
  }
}

function handleValue(x, parameters, types, options) {
  let value = x instanceof Parameter ? x.value : x
  if (value === undefined) {
    x instanceof Parameter
      ? x.value = options.transform.undefined
      : value = x = options.transform.undefined

    if (value === undefined)
      throw Errors.generic('UNDEFINED_VALUE', 'Undefined values are not allowed')
  }

  return '$' + (types.push(
    x instanceof Parameter
      ? (parameters.push(x.value), x.array
        ? x.array[x.type || inferType(x.value)] || x.type || firstIsString(x.value)
        : x.type
      )
      : (parameters.push(x), inferType(x))
  ))
}

const defaultHandlers = typeHandlers(types)

function stringify(q, string, value, parameters, types, options) { // eslint-disable-line
  for (let i = 1; i < q.strings.length; i++) {
    string += (stringifyValue(string, value, parameters, types, options)) + q.strings[i]
    value = q.args[i]
  }

  return string
}

function stringifyValue(string, value, parameters, types, o) {
  return (
    value instanceof Builder ? value.build(string, parameters, types, o) :
    value instanceof Query ? fragment(value, parameters, types, o) :
    value instanceof Identifier ? value.value :
    value && value[0] instanceof Query ? value.reduce((acc, x) => acc + ' ' + fragment(x, parameters, types, o), '') :
    handleValue(value, parameters, types, o)
  )
}

function fragment(q, parameters, types, options) {
  q.fragment = true
  return stringify(q, q.strings[0], q.args[0], parameters, types, options)
}

function valuesBuilder(first, parameters, types, columns, options) {
  return first.map(row =>
    '(' + columns.map(column =>
      stringifyValue('values', row[column], parameters, types, options)
    ).join(',') + ')'
  ).join(',')
}

function values(first, rest, parameters, types, options) {
  const multi = Array.isArray(first[0])
  const columns = rest.length ? rest.flat() : Object.keys(multi ? first[0] : first)
  return valuesBuilder(multi ? first : [first], parameters, types, columns, options)
}

function types_select(first, rest, parameters, types, options) {
  typeof first === 'string' && (first = [first].concat(rest))
  if (Array.isArray(first))
    return escapeIdentifiers(first, options)

  let value
  const columns = rest.length ? rest.flat() : Object.keys(first)
  return columns.map(x => {
    value = first[x]
    return (
      value instanceof Query ? fragment(value, parameters, types, options) :
      value instanceof Identifier ? value.value :
      handleValue(value, parameters, types, options)
    ) + ' as ' + escapeIdentifier(options.transform.column.to ? options.transform.column.to(x) : x)
  }).join(',')
}

const builders = Object.entries({
  values,
  in: (...xs) => {
    const x = values(...xs)
    return x === '()' ? '(null)' : x
  },
  select: types_select,
  as: types_select,
  returning: types_select,
  '\\(': types_select,

  update(first, rest, parameters, types, options) {
    return (rest.length ? rest.flat() : Object.keys(first)).map(x =>
      escapeIdentifier(options.transform.column.to ? options.transform.column.to(x) : x) +
      '=' + stringifyValue('values', first[x], parameters, types, options)
    )
  },

  insert(first, rest, parameters, types, options) {
    const columns = rest.length ? rest.flat() : Object.keys(Array.isArray(first) ? first[0] : first)
    return '(' + escapeIdentifiers(columns, options) + ')values' +
    valuesBuilder(Array.isArray(first) ? first : [first], parameters, types, columns, options)
  }
}).map(([x, fn]) => ([new RegExp('((?:^|[\\s(])' + x + '(?:$|[\\s(]))(?![\\s\\S]*\\1)', 'i'), fn]))

function notTagged() {
  throw Errors.generic('NOT_TAGGED_CALL', 'Query not called as a tagged template literal')
}

const serializers = defaultHandlers.serializers
const parsers = defaultHandlers.parsers

const END = {}

function firstIsString(x) {
  if (Array.isArray(x))
    return firstIsString(x[0])
  return typeof x === 'string' ? 1009 : 0
}

const mergeUserTypes = function(types) {
  const user = typeHandlers(types || {})
  return {
    serializers: Object.assign({}, serializers, user.serializers),
    parsers: Object.assign({}, parsers, user.parsers)
  }
}

function typeHandlers(types) {
  return Object.keys(types).reduce((acc, k) => {
    types[k].from && [].concat(types[k].from).forEach(x => acc.parsers[x] = types[k].parse)
    if (types[k].serialize) {
      acc.serializers[types[k].to] = types[k].serialize
      types[k].from && [].concat(types[k].from).forEach(x => acc.serializers[x] = types[k].serialize)
    }
    return acc
  }, { parsers: {}, serializers: {} })
}

function escapeIdentifiers(xs, { transform: { column } }) {
  return xs.map(x => escapeIdentifier(column.to ? column.to(x) : x)).join(',')
}

const escapeIdentifier = function escape(str) {
  return '"' + str.replace(/"/g, '""').replace(/\./g, '"."') + '"'
}

const inferType = function inferType(x) {
  return (
    x instanceof Parameter ? x.type :
    x instanceof Date ? 1184 :
    x instanceof Uint8Array ? 17 :
    (x === true || x === false) ? 16 :
    typeof x === 'bigint' ? 20 :
    Array.isArray(x) ? inferType(x[0]) :
    0
  )
}

const escapeBackslash = /\\/g
const escapeQuote = /"/g

function arrayEscape(x) {
  return x
    .replace(escapeBackslash, '\\\\')
    .replace(escapeQuote, '\\"')
}

const arraySerializer = function arraySerializer(xs, serializer, options, typarray) {
  if (Array.isArray(xs) === false)
    return xs

  if (!xs.length)
    return '{}'

  const first = xs[0]
  // Only _box (1020) has the ';' delimiter for arrays, all other types use the ',' delimiter
  const delimiter = typarray === 1020 ? ';' : ','

  if (Array.isArray(first) && !first.type)
    return '{' + xs.map(x => arraySerializer(x, serializer, options, typarray)).join(delimiter) + '}'

  return '{' + xs.map(x => {
    if (x === undefined) {
      x = options.transform.undefined
      if (x === undefined)
        throw Errors.generic('UNDEFINED_VALUE', 'Undefined values are not allowed')
    }

    return x === null
      ? 'null'
      : '"' + arrayEscape(serializer ? serializer(x.type ? x.value : x) : '' + x) + '"'
  }).join(delimiter) + '}'
}

const arrayParserState = {
  i: 0,
  char: null,
  str: '',
  quoted: false,
  last: 0
}

const arrayParser = function arrayParser(x, parser, typarray) {
  arrayParserState.i = arrayParserState.last = 0
  return arrayParserLoop(arrayParserState, x, parser, typarray)
}

function arrayParserLoop(s, x, parser, typarray) {
  const xs = []
  // Only _box (1020) has the ';' delimiter for arrays, all other types use the ',' delimiter
  const delimiter = typarray === 1020 ? ';' : ','
  for (; s.i < x.length; s.i++) {
    s.char = x[s.i]
    if (s.quoted) {
      if (s.char === '\\') {
        s.str += x[++s.i]
      } else if (s.char === '"') {
        xs.push(parser ? parser(s.str) : s.str)
        s.str = ''
        s.quoted = x[s.i + 1] === '"'
        s.last = s.i + 2
      } else {
        s.str += s.char
      }
    } else if (s.char === '"') {
      s.quoted = true
    } else if (s.char === '{') {
      s.last = ++s.i
      xs.push(arrayParserLoop(s, x, parser, typarray))
    } else if (s.char === '}') {
      s.quoted = false
      s.last < s.i && xs.push(parser ? parser(x.slice(s.last, s.i)) : x.slice(s.last, s.i))
      s.last = s.i + 1
      break
    } else if (s.char === delimiter && s.p !== '}' && s.p !== '"') {
      xs.push(parser ? parser(x.slice(s.last, s.i)) : x.slice(s.last, s.i))
      s.last = s.i + 1
    }
    s.p = s.char
  }
  s.last < s.i && xs.push(parser ? parser(x.slice(s.last, s.i + 1)) : x.slice(s.last, s.i + 1))
  return xs
}

const toCamel = x => {
  let str = x[0]
  for (let i = 1; i < x.length; i++)
    str += x[i] === '_' ? x[++i].toUpperCase() : x[i]
  return str
}

const toPascal = x => {
  let str = x[0].toUpperCase()
  for (let i = 1; i < x.length; i++)
    str += x[i] === '_' ? x[++i].toUpperCase() : x[i]
  return str
}

const toKebab = x => x.replace(/_/g, '-')

const fromCamel = x => x.replace(/([A-Z])/g, '_$1').toLowerCase()
const fromPascal = x => (x.slice(0, 1) + x.slice(1).replace(/([A-Z])/g, '_$1')).toLowerCase()
const fromKebab = x => x.replace(/-/g, '_')

function createJsonTransform(fn) {
  return function jsonTransform(x, column) {
    return typeof x === 'object' && x !== null && (column.type === 114 || column.type === 3802)
      ? Array.isArray(x)
        ? x.map(x => jsonTransform(x, column))
        : Object.entries(x).reduce((acc, [k, v]) => Object.assign(acc, { [fn(k)]: jsonTransform(v, column) }), {})
      : x
  }
}

toCamel.column = { from: toCamel }
toCamel.value = { from: createJsonTransform(toCamel) }
fromCamel.column = { to: fromCamel }

const camel = { ...toCamel }
camel.column.to = fromCamel

toPascal.column = { from: toPascal }
toPascal.value = { from: createJsonTransform(toPascal) }
fromPascal.column = { to: fromPascal }

const pascal = { ...toPascal }
pascal.column.to = fromPascal

toKebab.column = { from: toKebab }
toKebab.value = { from: createJsonTransform(toKebab) }
fromKebab.column = { to: fromKebab }

const kebab = { ...toKebab }
kebab.column.to = fromKebab

;// CONCATENATED MODULE: external "net"
const external_net_namespaceObject = require("net");
;// CONCATENATED MODULE: external "tls"
const external_tls_namespaceObject = require("tls");
;// CONCATENATED MODULE: external "crypto"
const external_crypto_namespaceObject = require("crypto");
;// CONCATENATED MODULE: external "stream"
const external_stream_namespaceObject = require("stream");
;// CONCATENATED MODULE: external "perf_hooks"
const external_perf_hooks_namespaceObject = require("perf_hooks");
;// CONCATENATED MODULE: ./node_modules/postgres/src/result.js
class Result extends Array {
  constructor() {
    super()
    Object.defineProperties(this, {
      count: { value: null, writable: true },
      state: { value: null, writable: true },
      command: { value: null, writable: true },
      columns: { value: null, writable: true },
      statement: { value: null, writable: true }
    })
  }

  static get [Symbol.species]() {
    return Array
  }
}

;// CONCATENATED MODULE: ./node_modules/postgres/src/queue.js
/* harmony default export */ const src_queue = (Queue);

function Queue(initial = []) {
  let xs = initial.slice()
  let index = 0

  return {
    get length() {
      return xs.length - index
    },
    remove: (x) => {
      const index = xs.indexOf(x)
      return index === -1
        ? null
        : (xs.splice(index, 1), x)
    },
    push: (x) => (xs.push(x), x),
    shift: () => {
      const out = xs[index++]

      if (index === xs.length) {
        index = 0
        xs = []
      } else {
        xs[index - 1] = undefined
      }

      return out
    }
  }
}

;// CONCATENATED MODULE: ./node_modules/postgres/src/bytes.js
const size = 256
let buffer = Buffer.allocUnsafe(size)

const messages = 'BCcDdEFfHPpQSX'.split('').reduce((acc, x) => {
  const v = x.charCodeAt(0)
  acc[x] = () => {
    buffer[0] = v
    b.i = 5
    return b
  }
  return acc
}, {})

const b = Object.assign(bytes_reset, messages, {
  N: String.fromCharCode(0),
  i: 0,
  inc(x) {
    b.i += x
    return b
  },
  str(x) {
    const length = Buffer.byteLength(x)
    fit(length)
    b.i += buffer.write(x, b.i, length, 'utf8')
    return b
  },
  i16(x) {
    fit(2)
    buffer.writeUInt16BE(x, b.i)
    b.i += 2
    return b
  },
  i32(x, i) {
    if (i || i === 0) {
      buffer.writeUInt32BE(x, i)
      return b
    }
    fit(4)
    buffer.writeUInt32BE(x, b.i)
    b.i += 4
    return b
  },
  z(x) {
    fit(x)
    buffer.fill(0, b.i, b.i + x)
    b.i += x
    return b
  },
  raw(x) {
    buffer = Buffer.concat([buffer.subarray(0, b.i), x])
    b.i = buffer.length
    return b
  },
  end(at = 1) {
    buffer.writeUInt32BE(b.i - at, at)
    const out = buffer.subarray(0, b.i)
    b.i = 0
    buffer = Buffer.allocUnsafe(size)
    return out
  }
})

/* harmony default export */ const bytes = (b);

function fit(x) {
  if (buffer.length - b.i < x) {
    const prev = buffer
        , length = prev.length

    buffer = Buffer.allocUnsafe(length + (length >> 1) + x)
    prev.copy(buffer)
  }
}

function bytes_reset() {
  b.i = 0
  return b
}

;// CONCATENATED MODULE: ./node_modules/postgres/src/connection.js













/* harmony default export */ const src_connection = (Connection);

let uid = 1

const Sync = bytes().S().end()
    , Flush = bytes().H().end()
    , SSLRequest = bytes().i32(8).i32(80877103).end(8)
    , ExecuteUnnamed = Buffer.concat([bytes().E().str(bytes.N).i32(0).end(), Sync])
    , DescribeUnnamed = bytes().D().str('S').str(bytes.N).end()
    , noop = () => { /* noop */ }

const retryRoutines = new Set([
  'FetchPreparedStatement',
  'RevalidateCachedQuery',
  'transformAssignedExpr'
])

const errorFields = {
  83  : 'severity_local',    // S
  86  : 'severity',          // V
  67  : 'code',              // C
  77  : 'message',           // M
  68  : 'detail',            // D
  72  : 'hint',              // H
  80  : 'position',          // P
  112 : 'internal_position', // p
  113 : 'internal_query',    // q
  87  : 'where',             // W
  115 : 'schema_name',       // s
  116 : 'table_name',        // t
  99  : 'column_name',       // c
  100 : 'data type_name',    // d
  110 : 'constraint_name',   // n
  70  : 'file',              // F
  76  : 'line',              // L
  82  : 'routine'            // R
}

function Connection(options, queues = {}, { onopen = noop, onend = noop, onclose = noop } = {}) {
  const {
    sslnegotiation,
    ssl,
    max,
    user,
    host,
    port,
    database,
    parsers,
    transform,
    onnotice,
    onnotify,
    onparameter,
    max_pipeline,
    keep_alive,
    backoff,
    target_session_attrs
  } = options

  const sent = src_queue()
      , id = uid++
      , backend = { pid: null, secret: null }
      , idleTimer = timer(end, options.idle_timeout)
      , lifeTimer = timer(end, options.max_lifetime)
      , connectTimer = timer(connectTimedOut, options.connect_timeout)

  let socket = null
    , cancelMessage
    , errorResponse = null
    , result = new Result()
    , incoming = Buffer.alloc(0)
    , needsTypes = options.fetch_types
    , backendParameters = {}
    , statements = {}
    , statementId = Math.random().toString(36).slice(2)
    , statementCount = 1
    , closedTime = 0
    , remaining = 0
    , hostIndex = 0
    , retries = 0
    , length = 0
    , delay = 0
    , rows = 0
    , serverSignature = null
    , nextWriteTimer = null
    , terminated = false
    , incomings = null
    , results = null
    , initial = null
    , ending = null
    , stream = null
    , chunk = null
    , ended = null
    , nonce = null
    , query = null
    , final = null

  const connection = {
    queue: queues.closed,
    idleTimer,
    connect(query) {
      initial = query
      reconnect()
    },
    terminate,
    execute,
    cancel,
    end,
    count: 0,
    id
  }

  queues.closed && queues.closed.push(connection)

  return connection

  async function createSocket() {
    let x
    try {
      x = options.socket
        ? (await Promise.resolve(options.socket(options)))
        : new external_net_namespaceObject.Socket()
    } catch (e) {
      error(e)
      return
    }
    x.on('error', error)
    x.on('close', closed)
    x.on('drain', drain)
    return x
  }

  async function cancel({ pid, secret }, resolve, reject) {
    try {
      cancelMessage = bytes().i32(16).i32(80877102).i32(pid).i32(secret).end(16)
      await connect()
      socket.once('error', reject)
      socket.once('close', resolve)
    } catch (error) {
      reject(error)
    }
  }

  function execute(q) {
    if (terminated)
      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))

    if (stream)
      return queryError(q, Errors.generic('COPY_IN_PROGRESS', 'You cannot execute queries during copy'))

    if (q.cancelled)
      return

    try {
      q.state = backend
      query
        ? sent.push(q)
        : (query = q, query.active = true)

      build(q)
      return write(toBuffer(q))
        && !q.describeFirst
        && !q.cursorFn
        && sent.length < max_pipeline
        && (!q.options.onexecute || q.options.onexecute(connection))
    } catch (error) {
      sent.length === 0 && write(Sync)
      errored(error)
      return true
    }
  }

  function toBuffer(q) {
    if (q.parameters.length >= 65534)
      throw Errors.generic('MAX_PARAMETERS_EXCEEDED', 'Max number of parameters (65534) exceeded')

    return q.options.simple
      ? bytes().Q().str(q.statement.string + bytes.N).end()
      : q.describeFirst
        ? Buffer.concat([describe(q), Flush])
        : q.prepare
          ? q.prepared
            ? prepared(q)
            : Buffer.concat([describe(q), prepared(q)])
          : unnamed(q)
  }

  function describe(q) {
    return Buffer.concat([
      Parse(q.statement.string, q.parameters, q.statement.types, q.statement.name),
      Describe('S', q.statement.name)
    ])
  }

  function prepared(q) {
    return Buffer.concat([
      Bind(q.parameters, q.statement.types, q.statement.name, q.cursorName),
      q.cursorFn
        ? Execute('', q.cursorRows)
        : ExecuteUnnamed
    ])
  }

  function unnamed(q) {
    return Buffer.concat([
      Parse(q.statement.string, q.parameters, q.statement.types),
      DescribeUnnamed,
      prepared(q)
    ])
  }

  function build(q) {
    const parameters = []
        , types = []

    const string = stringify(q, q.strings[0], q.args[0], parameters, types, options)

    !q.tagged && q.args.forEach(x => handleValue(x, parameters, types, options))

    q.prepare = options.prepare && ('prepare' in q.options ? q.options.prepare : true)
    q.string = string
    q.signature = q.prepare && types + string
    q.onlyDescribe && (delete statements[q.signature])
    q.parameters = q.parameters || parameters
    q.prepared = q.prepare && q.signature in statements
    q.describeFirst = q.onlyDescribe || (parameters.length && !q.prepared)
    q.statement = q.prepared
      ? statements[q.signature]
      : { string, types, name: q.prepare ? statementId + statementCount++ : '' }

    typeof options.debug === 'function' && options.debug(id, string, parameters, types)
  }

  function write(x, fn) {
    chunk = chunk ? Buffer.concat([chunk, x]) : Buffer.from(x)
    if (fn || chunk.length >= 1024)
      return nextWrite(fn)
    nextWriteTimer === null && (nextWriteTimer = setImmediate(nextWrite))
    return true
  }

  function nextWrite(fn) {
    const x = socket.write(chunk, fn)
    nextWriteTimer !== null && clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null
    return x
  }

  function connectTimedOut() {
    errored(Errors.connection('CONNECT_TIMEOUT', options, socket))
    socket.destroy()
  }

  async function secure() {
    if (sslnegotiation !== 'direct') {
      write(SSLRequest)
      const canSSL = await new Promise(r => socket.once('data', x => r(x[0] === 83))) // S

      if (!canSSL && ssl === 'prefer')
        return connected()
    }

    const options = {
      socket,
      servername: external_net_namespaceObject.isIP(socket.host) ? undefined : socket.host
    }

    if (sslnegotiation === 'direct')
      options.ALPNProtocols = ['postgresql']

    if (ssl === 'require' || ssl === 'allow' || ssl === 'prefer')
      options.rejectUnauthorized = false
    else if (typeof ssl === 'object')
      Object.assign(options, ssl)

    socket.removeAllListeners()
    socket = external_tls_namespaceObject.connect(options)
    socket.on('secureConnect', connected)
    socket.on('error', error)
    socket.on('close', closed)
    socket.on('drain', drain)
  }

  /* c8 ignore next 3 */
  function drain() {
    !query && onopen(connection)
  }

  function data(x) {
    if (incomings) {
      incomings.push(x)
      remaining -= x.length
      if (remaining > 0)
        return
    }

    incoming = incomings
      ? Buffer.concat(incomings, length - remaining)
      : incoming.length === 0
        ? x
        : Buffer.concat([incoming, x], incoming.length + x.length)

    while (incoming.length > 4) {
      length = incoming.readUInt32BE(1)
      if (length >= incoming.length) {
        remaining = length - incoming.length
        incomings = [incoming]
        break
      }

      try {
        handle(incoming.subarray(0, length + 1))
      } catch (e) {
        query && (query.cursorFn || query.describeFirst) && write(Sync)
        errored(e)
      }
      incoming = incoming.subarray(length + 1)
      remaining = 0
      incomings = null
    }
  }

  async function connect() {
    terminated = false
    backendParameters = {}
    socket || (socket = await createSocket())

    if (!socket)
      return

    connectTimer.start()

    if (options.socket)
      return ssl ? secure() : connected()

    socket.on('connect', ssl ? secure : connected)

    if (options.path)
      return socket.connect(options.path)

    socket.ssl = ssl
    socket.connect(port[hostIndex], host[hostIndex])
    socket.host = host[hostIndex]
    socket.port = port[hostIndex]

    hostIndex = (hostIndex + 1) % port.length
  }

  function reconnect() {
    setTimeout(connect, closedTime ? Math.max(0, closedTime + delay - external_perf_hooks_namespaceObject.performance.now()) : 0)
  }

  function connected() {
    try {
      statements = {}
      needsTypes = options.fetch_types
      statementId = Math.random().toString(36).slice(2)
      statementCount = 1
      lifeTimer.start()
      socket.on('data', data)
      keep_alive && socket.setKeepAlive && socket.setKeepAlive(true, 1000 * keep_alive)
      const s = StartupMessage()
      write(s)
    } catch (err) {
      error(err)
    }
  }

  function error(err) {
    if (connection.queue === queues.connecting && options.host[retries + 1])
      return

    errored(err)
    while (sent.length)
      queryError(sent.shift(), err)
  }

  function errored(err) {
    stream && (stream.destroy(err), stream = null)
    query && queryError(query, err)
    initial && (queryError(initial, err), initial = null)
  }

  function queryError(query, err) {
    if (query.reserve)
      return query.reject(err)

    if (!err || typeof err !== 'object')
      err = new Error(err)

    'query' in err || 'parameters' in err || Object.defineProperties(err, {
      stack: { value: err.stack + query.origin.replace(/.*\n/, '\n'), enumerable: options.debug },
      query: { value: query.string, enumerable: options.debug },
      parameters: { value: query.parameters, enumerable: options.debug },
      args: { value: query.args, enumerable: options.debug },
      types: { value: query.statement && query.statement.types, enumerable: options.debug }
    })
    query.reject(err)
  }

  function end() {
    return ending || (
      !connection.reserved && onend(connection),
      !connection.reserved && !initial && !query && sent.length === 0
        ? (terminate(), new Promise(r => socket && socket.readyState !== 'closed' ? socket.once('close', r) : r()))
        : ending = new Promise(r => ended = r)
    )
  }

  function terminate() {
    terminated = true
    if (stream || query || initial || sent.length)
      error(Errors.connection('CONNECTION_DESTROYED', options))

    clearImmediate(nextWriteTimer)
    if (socket) {
      socket.removeListener('data', data)
      socket.removeListener('connect', connected)
      socket.readyState === 'open' && socket.end(bytes().X().end())
    }
    ended && (ended(), ending = ended = null)
  }

  async function closed(hadError) {
    incoming = Buffer.alloc(0)
    remaining = 0
    incomings = null
    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)
    socket.removeListener('connect', connected)
    idleTimer.cancel()
    lifeTimer.cancel()
    connectTimer.cancel()

    socket.removeAllListeners()
    socket = null

    if (initial)
      return reconnect()

    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
    closedTime = external_perf_hooks_namespaceObject.performance.now()
    hadError && options.shared.retries++
    delay = (typeof backoff === 'function' ? backoff(options.shared.retries) : backoff) * 1000
    onclose(connection, Errors.connection('CONNECTION_CLOSED', options, socket))
  }

  /* Handlers */
  function handle(xs, x = xs[0]) {
    (
      x === 68 ? DataRow :                   // D
      x === 100 ? CopyData :                 // d
      x === 65 ? NotificationResponse :      // A
      x === 83 ? ParameterStatus :           // S
      x === 90 ? ReadyForQuery :             // Z
      x === 67 ? CommandComplete :           // C
      x === 50 ? BindComplete :              // 2
      x === 49 ? ParseComplete :             // 1
      x === 116 ? ParameterDescription :     // t
      x === 84 ? RowDescription :            // T
      x === 82 ? Authentication :            // R
      x === 110 ? NoData :                   // n
      x === 75 ? BackendKeyData :            // K
      x === 69 ? ErrorResponse :             // E
      x === 115 ? PortalSuspended :          // s
      x === 51 ? CloseComplete :             // 3
      x === 71 ? CopyInResponse :            // G
      x === 78 ? NoticeResponse :            // N
      x === 72 ? CopyOutResponse :           // H
      x === 99 ? CopyDone :                  // c
      x === 73 ? EmptyQueryResponse :        // I
      x === 86 ? FunctionCallResponse :      // V
      x === 118 ? NegotiateProtocolVersion : // v
      x === 87 ? CopyBothResponse :          // W
      /* c8 ignore next */
      UnknownMessage
    )(xs)
  }

  function DataRow(x) {
    let index = 7
    let length
    let column
    let value

    const row = query.isRaw ? new Array(query.statement.columns.length) : {}
    for (let i = 0; i < query.statement.columns.length; i++) {
      column = query.statement.columns[i]
      length = x.readInt32BE(index)
      index += 4

      value = length === -1
        ? null
        : query.isRaw === true
          ? x.subarray(index, index += length)
          : column.parser === undefined
            ? x.toString('utf8', index, index += length)
            : column.parser.array === true
              ? column.parser(x.toString('utf8', index + 1, index += length))
              : column.parser(x.toString('utf8', index, index += length))

      query.isRaw
        ? (row[i] = query.isRaw === true
          ? value
          : transform.value.from ? transform.value.from(value, column) : value)
        : (row[column.name] = transform.value.from ? transform.value.from(value, column) : value)
    }

    query.forEachFn
      ? query.forEachFn(transform.row.from ? transform.row.from(row) : row, result)
      : (result[rows++] = transform.row.from ? transform.row.from(row) : row)
  }

  function ParameterStatus(x) {
    const [k, v] = x.toString('utf8', 5, x.length - 1).split(bytes.N)
    backendParameters[k] = v
    if (options.parameters[k] !== v) {
      options.parameters[k] = v
      onparameter && onparameter(k, v)
    }
  }

  function ReadyForQuery(x) {
    if (query) {
      if (errorResponse) {
        query.retried
          ? errored(query.retried)
          : query.prepared && retryRoutines.has(errorResponse.routine)
            ? retry(query, errorResponse)
            : errored(errorResponse)
      } else {
        query.resolve(results || result)
      }
    } else if (errorResponse) {
      errored(errorResponse)
    }

    query = results = errorResponse = null
    result = new Result()
    connectTimer.cancel()

    if (initial) {
      if (target_session_attrs) {
        if (!backendParameters.in_hot_standby || !backendParameters.default_transaction_read_only)
          return fetchState()
        else if (tryNext(target_session_attrs, backendParameters))
          return terminate()
      }

      if (needsTypes) {
        initial.reserve && (initial = null)
        return fetchArrayTypes()
      }

      initial && !initial.reserve && execute(initial)
      options.shared.retries = retries = 0
      initial = null
      return
    }

    while (sent.length && (query = sent.shift()) && (query.active = true, query.cancelled))
      Connection(options).cancel(query.state, query.cancelled.resolve, query.cancelled.reject)

    if (query)
      return // Consider opening if able and sent.length < 50

    connection.reserved
      ? !connection.reserved.release && x[5] === 73 // I
        ? ending
          ? terminate()
          : (connection.reserved = null, onopen(connection))
        : connection.reserved()
      : ending
        ? terminate()
        : onopen(connection)
  }

  function CommandComplete(x) {
    rows = 0

    for (let i = x.length - 1; i > 0; i--) {
      if (x[i] === 32 && x[i + 1] < 58 && result.count === null)
        result.count = +x.toString('utf8', i + 1, x.length - 1)
      if (x[i - 1] >= 65) {
        result.command = x.toString('utf8', 5, i)
        result.state = backend
        break
      }
    }

    final && (final(), final = null)

    if (result.command === 'BEGIN' && max !== 1 && !connection.reserved)
      return errored(Errors.generic('UNSAFE_TRANSACTION', 'Only use sql.begin, sql.reserved or max: 1'))

    if (query.options.simple)
      return BindComplete()

    if (query.cursorFn) {
      result.count && query.cursorFn(result)
      write(Sync)
    }
  }

  function ParseComplete() {
    query.parsing = false
  }

  function BindComplete() {
    !result.statement && (result.statement = query.statement)
    result.columns = query.statement.columns
  }

  function ParameterDescription(x) {
    const length = x.readUInt16BE(5)

    for (let i = 0; i < length; ++i)
      !query.statement.types[i] && (query.statement.types[i] = x.readUInt32BE(7 + i * 4))

    query.prepare && (statements[query.signature] = query.statement)
    query.describeFirst && !query.onlyDescribe && (write(prepared(query)), query.describeFirst = false)
  }

  function RowDescription(x) {
    if (result.command) {
      results = results || [result]
      results.push(result = new Result())
      result.count = null
      query.statement.columns = null
    }

    const length = x.readUInt16BE(5)
    let index = 7
    let start

    query.statement.columns = Array(length)

    for (let i = 0; i < length; ++i) {
      start = index
      while (x[index++] !== 0);
      const table = x.readUInt32BE(index)
      const number = x.readUInt16BE(index + 4)
      const type = x.readUInt32BE(index + 6)
      query.statement.columns[i] = {
        name: transform.column.from
          ? transform.column.from(x.toString('utf8', start, index - 1))
          : x.toString('utf8', start, index - 1),
        parser: parsers[type],
        table,
        number,
        type
      }
      index += 18
    }

    result.statement = query.statement
    if (query.onlyDescribe)
      return (query.resolve(query.statement), write(Sync))
  }

  async function Authentication(x, type = x.readUInt32BE(5)) {
    (
      type === 3 ? AuthenticationCleartextPassword :
      type === 5 ? AuthenticationMD5Password :
      type === 10 ? SASL :
      type === 11 ? SASLContinue :
      type === 12 ? SASLFinal :
      type !== 0 ? UnknownAuth :
      noop
    )(x, type)
  }

  /* c8 ignore next 5 */
  async function AuthenticationCleartextPassword() {
    const payload = await Pass()
    write(
      bytes().p().str(payload).z(1).end()
    )
  }

  async function AuthenticationMD5Password(x) {
    const payload = 'md5' + (
      await md5(
        Buffer.concat([
          Buffer.from(await md5((await Pass()) + user)),
          x.subarray(9)
        ])
      )
    )
    write(
      bytes().p().str(payload).z(1).end()
    )
  }

  async function SASL() {
    nonce = (await external_crypto_namespaceObject.randomBytes(18)).toString('base64')
    bytes().p().str('SCRAM-SHA-256' + bytes.N)
    const i = bytes.i
    write(bytes.inc(4).str('n,,n=*,r=' + nonce).i32(bytes.i - i - 4, i).end())
  }

  async function SASLContinue(x) {
    const res = x.toString('utf8', 9).split(',').reduce((acc, x) => (acc[x[0]] = x.slice(2), acc), {})

    const saltedPassword = await external_crypto_namespaceObject.pbkdf2Sync(
      await Pass(),
      Buffer.from(res.s, 'base64'),
      parseInt(res.i), 32,
      'sha256'
    )

    const clientKey = await hmac(saltedPassword, 'Client Key')

    const auth = 'n=*,r=' + nonce + ','
               + 'r=' + res.r + ',s=' + res.s + ',i=' + res.i
               + ',c=biws,r=' + res.r

    serverSignature = (await hmac(await hmac(saltedPassword, 'Server Key'), auth)).toString('base64')

    const payload = 'c=biws,r=' + res.r + ',p=' + xor(
      clientKey, Buffer.from(await hmac(await sha256(clientKey), auth))
    ).toString('base64')

    write(
      bytes().p().str(payload).end()
    )
  }

  function SASLFinal(x) {
    if (x.toString('utf8', 9).split(bytes.N, 1)[0].slice(2) === serverSignature)
      return
    /* c8 ignore next 5 */
    errored(Errors.generic('SASL_SIGNATURE_MISMATCH', 'The server did not return the correct signature'))
    socket.destroy()
  }

  function Pass() {
    return Promise.resolve(typeof options.pass === 'function'
      ? options.pass()
      : options.pass
    )
  }

  function NoData() {
    result.statement = query.statement
    result.statement.columns = []
    if (query.onlyDescribe)
      return (query.resolve(query.statement), write(Sync))
  }

  function BackendKeyData(x) {
    backend.pid = x.readUInt32BE(5)
    backend.secret = x.readUInt32BE(9)
  }

  async function fetchArrayTypes() {
    needsTypes = false
    const types = await new Query([`
      select b.oid, b.typarray
      from pg_catalog.pg_type a
      left join pg_catalog.pg_type b on b.oid = a.typelem
      where a.typcategory = 'A'
      group by b.oid, b.typarray
      order by b.oid
    `], [], execute)
    types.forEach(({ oid, typarray }) => addArrayType(oid, typarray))
  }

  function addArrayType(oid, typarray) {
    if (!!options.parsers[typarray] && !!options.serializers[typarray]) return
    const parser = options.parsers[oid]
    options.shared.typeArrayMap[oid] = typarray
    options.parsers[typarray] = (xs) => arrayParser(xs, parser, typarray)
    options.parsers[typarray].array = true
    options.serializers[typarray] = (xs) => arraySerializer(xs, options.serializers[oid], options, typarray)
  }

  function tryNext(x, xs) {
    return (
      (x === 'read-write' && xs.default_transaction_read_only === 'on') ||
      (x === 'read-only' && xs.default_transaction_read_only === 'off') ||
      (x === 'primary' && xs.in_hot_standby === 'on') ||
      (x === 'standby' && xs.in_hot_standby === 'off') ||
      (x === 'prefer-standby' && xs.in_hot_standby === 'off' && options.host[retries])
    )
  }

  function fetchState() {
    const query = new Query([`
      show transaction_read_only;
      select pg_catalog.pg_is_in_recovery()
    `], [], execute, null, { simple: true })
    query.resolve = ([[a], [b]]) => {
      backendParameters.default_transaction_read_only = a.transaction_read_only
      backendParameters.in_hot_standby = b.pg_is_in_recovery ? 'on' : 'off'
    }
    query.execute()
  }

  function ErrorResponse(x) {
    if (query) {
      (query.cursorFn || query.describeFirst) && write(Sync)
      errorResponse = Errors.postgres(parseError(x))
    } else {
      errored(Errors.postgres(parseError(x)))
    }
  }

  function retry(q, error) {
    delete statements[q.signature]
    q.retried = error
    execute(q)
  }

  function NotificationResponse(x) {
    if (!onnotify)
      return

    let index = 9
    while (x[index++] !== 0);
    onnotify(
      x.toString('utf8', 9, index - 1),
      x.toString('utf8', index, x.length - 1)
    )
  }

  async function PortalSuspended() {
    try {
      const x = await Promise.resolve(query.cursorFn(result))
      rows = 0
      x === CLOSE
        ? write(Close(query.portal))
        : (result = new Result(), write(Execute('', query.cursorRows)))
    } catch (err) {
      write(Sync)
      query.reject(err)
    }
  }

  function CloseComplete() {
    result.count && query.cursorFn(result)
    query.resolve(result)
  }

  function CopyInResponse() {
    stream = new external_stream_namespaceObject.Writable({
      autoDestroy: true,
      write(chunk, encoding, callback) {
        socket.write(bytes().d().raw(chunk).end(), callback)
      },
      destroy(error, callback) {
        callback(error)
        socket.write(bytes().f().str(error + bytes.N).end())
        stream = null
      },
      final(callback) {
        socket.write(bytes().c().end())
        final = callback
        stream = null
      }
    })
    query.resolve(stream)
  }

  function CopyOutResponse() {
    stream = new external_stream_namespaceObject.Readable({
      read() { socket.resume() }
    })
    query.resolve(stream)
  }

  /* c8 ignore next 3 */
  function CopyBothResponse() {
    stream = new external_stream_namespaceObject.Duplex({
      autoDestroy: true,
      read() { socket.resume() },
      /* c8 ignore next 11 */
      write(chunk, encoding, callback) {
        socket.write(bytes().d().raw(chunk).end(), callback)
      },
      destroy(error, callback) {
        callback(error)
        socket.write(bytes().f().str(error + bytes.N).end())
        stream = null
      },
      final(callback) {
        socket.write(bytes().c().end())
        final = callback
      }
    })
    query.resolve(stream)
  }

  function CopyData(x) {
    stream && (stream.push(x.subarray(5)) || socket.pause())
  }

  function CopyDone() {
    stream && stream.push(null)
    stream = null
  }

  function NoticeResponse(x) {
    onnotice
      ? onnotice(parseError(x))
      : console.log(parseError(x)) // eslint-disable-line

  }

  /* c8 ignore next 3 */
  function EmptyQueryResponse() {
    /* noop */
  }

  /* c8 ignore next 3 */
  function FunctionCallResponse() {
    errored(Errors.notSupported('FunctionCallResponse'))
  }

  /* c8 ignore next 3 */
  function NegotiateProtocolVersion() {
    errored(Errors.notSupported('NegotiateProtocolVersion'))
  }

  /* c8 ignore next 3 */
  function UnknownMessage(x) {
    console.error('Postgres.js : Unknown Message:', x[0]) // eslint-disable-line
  }

  /* c8 ignore next 3 */
  function UnknownAuth(x, type) {
    console.error('Postgres.js : Unknown Auth:', type) // eslint-disable-line
  }

  /* Messages */
  function Bind(parameters, types, statement = '', portal = '') {
    let prev
      , type

    bytes().B().str(portal + bytes.N).str(statement + bytes.N).i16(0).i16(parameters.length)

    parameters.forEach((x, i) => {
      if (x === null)
        return bytes.i32(0xFFFFFFFF)

      type = types[i]
      parameters[i] = x = type in options.serializers
        ? options.serializers[type](x)
        : '' + x

      prev = bytes.i
      bytes.inc(4).str(x).i32(bytes.i - prev - 4, prev)
    })

    bytes.i16(0)

    return bytes.end()
  }

  function Parse(str, parameters, types, name = '') {
    bytes().P().str(name + bytes.N).str(str + bytes.N).i16(parameters.length)
    parameters.forEach((x, i) => bytes.i32(types[i] || 0))
    return bytes.end()
  }

  function Describe(x, name = '') {
    return bytes().D().str(x).str(name + bytes.N).end()
  }

  function Execute(portal = '', rows = 0) {
    return Buffer.concat([
      bytes().E().str(portal + bytes.N).i32(rows).end(),
      Flush
    ])
  }

  function Close(portal = '') {
    return Buffer.concat([
      bytes().C().str('P').str(portal + bytes.N).end(),
      bytes().S().end()
    ])
  }

  function StartupMessage() {
    return cancelMessage || bytes().inc(4).i16(3).z(2).str(
      Object.entries(Object.assign({
        user,
        database,
        client_encoding: 'UTF8'
      },
        options.connection
      )).filter(([, v]) => v).map(([k, v]) => k + bytes.N + v).join(bytes.N)
    ).z(2).end(0)
  }

}

function parseError(x) {
  const error = {}
  let start = 5
  for (let i = 5; i < x.length - 1; i++) {
    if (x[i] === 0) {
      error[errorFields[x[start]]] = x.toString('utf8', start + 1, i)
      start = i + 1
    }
  }
  return error
}

function md5(x) {
  return external_crypto_namespaceObject.createHash('md5').update(x).digest('hex')
}

function hmac(key, x) {
  return external_crypto_namespaceObject.createHmac('sha256', key).update(x).digest()
}

function sha256(x) {
  return external_crypto_namespaceObject.createHash('sha256').update(x).digest()
}

function xor(a, b) {
  const length = Math.max(a.length, b.length)
  const buffer = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++)
    buffer[i] = a[i] ^ b[i]
  return buffer
}

function timer(fn, seconds) {
  seconds = typeof seconds === 'function' ? seconds() : seconds
  if (!seconds)
    return { cancel: noop, start: noop }

  let timer
  return {
    cancel() {
      timer && (clearTimeout(timer), timer = null)
    },
    start() {
      timer && clearTimeout(timer)
      timer = setTimeout(done, seconds * 1000, arguments)
    }
  }

  function done(args) {
    fn.apply(null, args)
    timer = null
  }
}

;// CONCATENATED MODULE: ./node_modules/postgres/src/subscribe.js
const subscribe_noop = () => { /* noop */ }

function Subscribe(postgres, options) {
  const subscribers = new Map()
      , slot = 'postgresjs_' + Math.random().toString(36).slice(2)
      , state = {}

  let connection
    , stream
    , ended = false

  const sql = subscribe.sql = postgres({
    ...options,
    transform: { column: {}, value: {}, row: {} },
    max: 1,
    fetch_types: false,
    idle_timeout: null,
    max_lifetime: null,
    connection: {
      ...options.connection,
      replication: 'database'
    },
    onclose: async function() {
      if (ended)
        return
      stream = null
      state.pid = state.secret = undefined
      connected(await init(sql, slot, options.publications))
      subscribers.forEach(event => event.forEach(({ onsubscribe }) => onsubscribe()))
    },
    no_subscribe: true
  })

  const end = sql.end
      , close = sql.close

  sql.end = async() => {
    ended = true
    stream && (await new Promise(r => (stream.once('close', r), stream.end())))
    return end()
  }

  sql.close = async() => {
    stream && (await new Promise(r => (stream.once('close', r), stream.end())))
    return close()
  }

  return subscribe

  async function subscribe(event, fn, onsubscribe = subscribe_noop, onerror = subscribe_noop) {
    event = parseEvent(event)

    if (!connection)
      connection = init(sql, slot, options.publications)

    const subscriber = { fn, onsubscribe }
    const fns = subscribers.has(event)
      ? subscribers.get(event).add(subscriber)
      : subscribers.set(event, new Set([subscriber])).get(event)

    const unsubscribe = () => {
      fns.delete(subscriber)
      fns.size === 0 && subscribers.delete(event)
    }

    return connection.then(x => {
      connected(x)
      onsubscribe()
      stream && stream.on('error', onerror)
      return { unsubscribe, state, sql }
    })
  }

  function connected(x) {
    stream = x.stream
    state.pid = x.state.pid
    state.secret = x.state.secret
  }

  async function init(sql, slot, publications) {
    if (!publications)
      throw new Error('Missing publication names')

    const xs = await sql.unsafe(
      `CREATE_REPLICATION_SLOT ${ slot } TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT`
    )

    const [x] = xs

    const stream = await sql.unsafe(
      `START_REPLICATION SLOT ${ slot } LOGICAL ${
        x.consistent_point
      } (proto_version '1', publication_names '${ publications }')`
    ).writable()

    const state = {
      lsn: Buffer.concat(x.consistent_point.split('/').map(x => Buffer.from(('00000000' + x).slice(-8), 'hex')))
    }

    stream.on('data', data)
    stream.on('error', error)
    stream.on('close', sql.close)

    return { stream, state: xs.state }

    function error(e) {
      console.error('Unexpected error during logical streaming - reconnecting', e) // eslint-disable-line
    }

    function data(x) {
      if (x[0] === 0x77) {
        parse(x.subarray(25), state, sql.options.parsers, handle, options.transform)
      } else if (x[0] === 0x6b && x[17]) {
        state.lsn = x.subarray(1, 9)
        pong()
      }
    }

    function handle(a, b) {
      const path = b.relation.schema + '.' + b.relation.table
      call('*', a, b)
      call('*:' + path, a, b)
      b.relation.keys.length && call('*:' + path + '=' + b.relation.keys.map(x => a[x.name]), a, b)
      call(b.command, a, b)
      call(b.command + ':' + path, a, b)
      b.relation.keys.length && call(b.command + ':' + path + '=' + b.relation.keys.map(x => a[x.name]), a, b)
    }

    function pong() {
      const x = Buffer.alloc(34)
      x[0] = 'r'.charCodeAt(0)
      x.fill(state.lsn, 1)
      x.writeBigInt64BE(BigInt(Date.now() - Date.UTC(2000, 0, 1)) * BigInt(1000), 25)
      stream.write(x)
    }
  }

  function call(x, a, b) {
    subscribers.has(x) && subscribers.get(x).forEach(({ fn }) => fn(a, b, x))
  }
}

function Time(x) {
  return new Date(Date.UTC(2000, 0, 1) + Number(x / BigInt(1000)))
}

function parse(x, state, parsers, handle, transform) {
  const char = (acc, [k, v]) => (acc[k.charCodeAt(0)] = v, acc)

  Object.entries({
    R: x => {  // Relation
      let i = 1
      const r = state[x.readUInt32BE(i)] = {
        schema: x.toString('utf8', i += 4, i = x.indexOf(0, i)) || 'pg_catalog',
        table: x.toString('utf8', i + 1, i = x.indexOf(0, i + 1)),
        columns: Array(x.readUInt16BE(i += 2)),
        keys: []
      }
      i += 2

      let columnIndex = 0
        , column

      while (i < x.length) {
        column = r.columns[columnIndex++] = {
          key: x[i++],
          name: transform.column.from
            ? transform.column.from(x.toString('utf8', i, i = x.indexOf(0, i)))
            : x.toString('utf8', i, i = x.indexOf(0, i)),
          type: x.readUInt32BE(i += 1),
          parser: parsers[x.readUInt32BE(i)],
          atttypmod: x.readUInt32BE(i += 4)
        }

        column.key && r.keys.push(column)
        i += 4
      }
    },
    Y: () => { /* noop */ }, // Type
    O: () => { /* noop */ }, // Origin
    B: x => { // Begin
      state.date = Time(x.readBigInt64BE(9))
      state.lsn = x.subarray(1, 9)
    },
    I: x => { // Insert
      let i = 1
      const relation = state[x.readUInt32BE(i)]
      const { row } = tuples(x, relation.columns, i += 7, transform)

      handle(row, {
        command: 'insert',
        relation
      })
    },
    D: x => { // Delete
      let i = 1
      const relation = state[x.readUInt32BE(i)]
      i += 4
      const key = x[i] === 75
      handle(key || x[i] === 79
        ? tuples(x, relation.columns, i += 3, transform).row
        : null
      , {
        command: 'delete',
        relation,
        key
      })
    },
    U: x => { // Update
      let i = 1
      const relation = state[x.readUInt32BE(i)]
      i += 4
      const key = x[i] === 75
      const xs = key || x[i] === 79
        ? tuples(x, relation.columns, i += 3, transform)
        : null

      xs && (i = xs.i)

      const { row } = tuples(x, relation.columns, i + 3, transform)

      handle(row, {
        command: 'update',
        relation,
        key,
        old: xs && xs.row
      })
    },
    T: () => { /* noop */ }, // Truncate,
    C: () => { /* noop */ }  // Commit
  }).reduce(char, {})[x[0]](x)
}

function tuples(x, columns, xi, transform) {
  let type
    , column
    , value

  const row = transform.raw ? new Array(columns.length) : {}
  for (let i = 0; i < columns.length; i++) {
    type = x[xi++]
    column = columns[i]
    value = type === 110 // n
      ? null
      : type === 117 // u
        ? undefined
        : column.parser === undefined
          ? x.toString('utf8', xi + 4, xi += 4 + x.readUInt32BE(xi))
          : column.parser.array === true
            ? column.parser(x.toString('utf8', xi + 5, xi += 4 + x.readUInt32BE(xi)))
            : column.parser(x.toString('utf8', xi + 4, xi += 4 + x.readUInt32BE(xi)))

    transform.raw
      ? (row[i] = transform.raw === true
        ? value
        : transform.value.from ? transform.value.from(value, column) : value)
      : (row[column.name] = transform.value.from
        ? transform.value.from(value, column)
        : value
      )
  }

  return { i: xi, row: transform.row.from ? transform.row.from(row) : row }
}

function parseEvent(x) {
  const xs = x.match(/^(\*|insert|update|delete)?:?([^.]+?\.?[^=]+)?=?(.+)?/i) || []

  if (!xs)
    throw new Error('Malformed subscribe pattern: ' + x)

  const [, command, path, key] = xs

  return (command || '*')
       + (path ? ':' + (path.indexOf('.') === -1 ? 'public.' + path : path) : '')
       + (key ? '=' + key : '')
}

;// CONCATENATED MODULE: ./node_modules/postgres/src/large.js


function largeObject(sql, oid, mode = 0x00020000 | 0x00040000) {
  return new Promise(async(resolve, reject) => {
    await sql.begin(async sql => {
      let finish
      !oid && ([{ oid }] = await sql`select lo_creat(-1) as oid`)
      const [{ fd }] = await sql`select lo_open(${ oid }, ${ mode }) as fd`

      const lo = {
        writable,
        readable,
        close     : () => sql`select lo_close(${ fd })`.then(finish),
        tell      : () => sql`select lo_tell64(${ fd })`,
        read      : (x) => sql`select loread(${ fd }, ${ x }) as data`,
        write     : (x) => sql`select lowrite(${ fd }, ${ x })`,
        truncate  : (x) => sql`select lo_truncate64(${ fd }, ${ x })`,
        seek      : (x, whence = 0) => sql`select lo_lseek64(${ fd }, ${ x }, ${ whence })`,
        size      : () => sql`
          select
            lo_lseek64(${ fd }, location, 0) as position,
            seek.size
          from (
            select
              lo_lseek64($1, 0, 2) as size,
              tell.location
            from (select lo_tell64($1) as location) tell
          ) seek
        `
      }

      resolve(lo)

      return new Promise(async r => finish = r)

      async function readable({
        highWaterMark = 2048 * 8,
        start = 0,
        end = Infinity
      } = {}) {
        let max = end - start
        start && await lo.seek(start)
        return new external_stream_namespaceObject.Readable({
          highWaterMark,
          async read(size) {
            const l = size > max ? size - max : size
            max -= size
            const [{ data }] = await lo.read(l)
            this.push(data)
            if (data.length < size)
              this.push(null)
          }
        })
      }

      async function writable({
        highWaterMark = 2048 * 8,
        start = 0
      } = {}) {
        start && await lo.seek(start)
        return new external_stream_namespaceObject.Writable({
          highWaterMark,
          write(chunk, encoding, callback) {
            lo.write(chunk).then(() => callback(), callback)
          }
        })
      }
    }).catch(reject)
  })
}

;// CONCATENATED MODULE: ./node_modules/postgres/src/index.js












Object.assign(Postgres, {
  PostgresError: PostgresError,
  toPascal: toPascal,
  pascal: pascal,
  toCamel: toCamel,
  camel: camel,
  toKebab: toKebab,
  kebab: kebab,
  fromPascal: fromPascal,
  fromCamel: fromCamel,
  fromKebab: fromKebab,
  BigInt: {
    to: 20,
    from: [20],
    parse: x => BigInt(x), // eslint-disable-line
    serialize: x => x.toString()
  }
})

/* harmony default export */ const src = (Postgres);

function Postgres(a, b) {
  const options = parseOptions(a, b)
      , subscribe = options.no_subscribe || Subscribe(Postgres, { ...options })

  let ending = false

  const queries = src_queue()
      , connecting = src_queue()
      , reserved = src_queue()
      , closed = src_queue()
      , ended = src_queue()
      , open = src_queue()
      , busy = src_queue()
      , full = src_queue()
      , queues = { connecting, reserved, closed, ended, open, busy, full }

  const connections = [...Array(options.max)].map(() => src_connection(options, queues, { onopen, onend, onclose }))

  const sql = Sql(handler)

  Object.assign(sql, {
    get parameters() { return options.parameters },
    largeObject: largeObject.bind(null, sql),
    subscribe,
    CLOSE: CLOSE,
    END: CLOSE,
    PostgresError: PostgresError,
    options,
    reserve,
    listen,
    begin,
    close,
    end
  })

  return sql

  function Sql(handler) {
    handler.debug = options.debug

    Object.entries(options.types).reduce((acc, [name, type]) => {
      acc[name] = (x) => new Parameter(x, type.to)
      return acc
    }, typed)

    Object.assign(sql, {
      types: typed,
      typed,
      unsafe,
      notify,
      array,
      json,
      file
    })

    return sql

    function typed(value, type) {
      return new Parameter(value, type)
    }

    function sql(strings, ...args) {
      const query = strings && Array.isArray(strings.raw)
        ? new Query(strings, args, handler, cancel)
        : typeof strings === 'string' && !args.length
          ? new Identifier(options.transform.column.to ? options.transform.column.to(strings) : strings)
          : new Builder(strings, args)
      return query
    }

    function unsafe(string, args = [], options = {}) {
      arguments.length === 2 && !Array.isArray(args) && (options = args, args = [])
      const query = new Query([string], args, handler, cancel, {
        prepare: false,
        ...options,
        simple: 'simple' in options ? options.simple : args.length === 0
      })
      return query
    }

    function file(path, args = [], options = {}) {
      arguments.length === 2 && !Array.isArray(args) && (options = args, args = [])
      const query = new Query([], args, (query) => {
        external_fs_namespaceObject.readFile(path, 'utf8', (err, string) => {
          if (err)
            return query.reject(err)

          query.strings = [string]
          handler(query)
        })
      }, cancel, {
        ...options,
        simple: 'simple' in options ? options.simple : args.length === 0
      })
      return query
    }
  }

  async function listen(name, fn, onlisten) {
    const listener = { fn, onlisten }

    const sql = listen.sql || (listen.sql = Postgres({
      ...options,
      max: 1,
      idle_timeout: null,
      max_lifetime: null,
      fetch_types: false,
      onclose() {
        Object.entries(listen.channels).forEach(([name, { listeners }]) => {
          delete listen.channels[name]
          Promise.all(listeners.map(l => listen(name, l.fn, l.onlisten).catch(() => { /* noop */ })))
        })
      },
      onnotify(c, x) {
        c in listen.channels && listen.channels[c].listeners.forEach(l => l.fn(x))
      }
    }))

    const channels = listen.channels || (listen.channels = {})
        , exists = name in channels

    if (exists) {
      channels[name].listeners.push(listener)
      const result = await channels[name].result
      listener.onlisten && listener.onlisten()
      return { state: result.state, unlisten }
    }

    channels[name] = { result: sql`listen ${
      sql.unsafe('"' + name.replace(/"/g, '""') + '"')
    }`, listeners: [listener] }
    const result = await channels[name].result
    listener.onlisten && listener.onlisten()
    return { state: result.state, unlisten }

    async function unlisten() {
      if (name in channels === false)
        return

      channels[name].listeners = channels[name].listeners.filter(x => x !== listener)
      if (channels[name].listeners.length)
        return

      delete channels[name]
      return sql`unlisten ${
        sql.unsafe('"' + name.replace(/"/g, '""') + '"')
      }`
    }
  }

  async function notify(channel, payload) {
    return await sql`select pg_notify(${ channel }, ${ '' + payload })`
  }

  async function reserve() {
    const queue = src_queue()
    const c = open.length
      ? open.shift()
      : await new Promise((resolve, reject) => {
        const query = { reserve: resolve, reject }
        queries.push(query)
        closed.length && connect(closed.shift(), query)
      })

    move(c, reserved)
    c.reserved = () => queue.length
      ? c.execute(queue.shift())
      : move(c, reserved)
    c.reserved.release = true

    const sql = Sql(handler)
    sql.release = () => {
      c.reserved = null
      onopen(c)
    }

    return sql

    function handler(q) {
      c.queue === full
        ? queue.push(q)
        : c.execute(q) || move(c, full)
    }
  }

  async function begin(options, fn) {
    !fn && (fn = options, options = '')
    const queries = src_queue()
    let savepoints = 0
      , connection
      , prepare = null

    try {
      await sql.unsafe('begin ' + options.replace(/[^a-z ]/ig, ''), [], { onexecute }).execute()
      return await Promise.race([
        scope(connection, fn),
        new Promise((_, reject) => connection.onclose = reject)
      ])
    } catch (error) {
      throw error
    }

    async function scope(c, fn, name) {
      const sql = Sql(handler)
      sql.savepoint = savepoint
      sql.prepare = x => prepare = x.replace(/[^a-z0-9$-_. ]/gi)
      let uncaughtError
        , result

      name && await sql`savepoint ${ sql(name) }`
      try {
        result = await new Promise((resolve, reject) => {
          const x = fn(sql)
          Promise.resolve(Array.isArray(x) ? Promise.all(x) : x).then(resolve, reject)
        })

        if (uncaughtError)
          throw uncaughtError
      } catch (e) {
        await (name
          ? sql`rollback to ${ sql(name) }`
          : sql`rollback`
        )
        throw e instanceof PostgresError && e.code === '25P02' && uncaughtError || e
      }

      if (!name) {
        prepare
          ? await sql`prepare transaction '${ sql.unsafe(prepare) }'`
          : await sql`commit`
      }

      return result

      function savepoint(name, fn) {
        if (name && Array.isArray(name.raw))
          return savepoint(sql => sql.apply(sql, arguments))

        arguments.length === 1 && (fn = name, name = null)
        return scope(c, fn, 's' + savepoints++ + (name ? '_' + name : ''))
      }

      function handler(q) {
        q.catch(e => uncaughtError || (uncaughtError = e))
        c.queue === full
          ? queries.push(q)
          : c.execute(q) || move(c, full)
      }
    }

    function onexecute(c) {
      connection = c
      move(c, reserved)
      c.reserved = () => queries.length
        ? c.execute(queries.shift())
        : move(c, reserved)
    }
  }

  function move(c, queue) {
    c.queue.remove(c)
    queue.push(c)
    c.queue = queue
    queue === open
      ? c.idleTimer.start()
      : c.idleTimer.cancel()
    return c
  }

  function json(x) {
    return new Parameter(x, 3802)
  }

  function array(x, type) {
    if (!Array.isArray(x))
      return array(Array.from(arguments))

    return new Parameter(x, type || (x.length ? inferType(x) || 25 : 0), options.shared.typeArrayMap)
  }

  function handler(query) {
    if (ending)
      return query.reject(Errors.connection('CONNECTION_ENDED', options, options))

    if (open.length)
      return go(open.shift(), query)

    if (closed.length)
      return connect(closed.shift(), query)

    busy.length
      ? go(busy.shift(), query)
      : queries.push(query)
  }

  function go(c, query) {
    return c.execute(query)
      ? move(c, busy)
      : move(c, full)
  }

  function cancel(query) {
    return new Promise((resolve, reject) => {
      query.state
        ? query.active
          ? src_connection(options).cancel(query.state, resolve, reject)
          : query.cancelled = { resolve, reject }
        : (
          queries.remove(query),
          query.cancelled = true,
          query.reject(Errors.generic('57014', 'canceling statement due to user request')),
          resolve()
        )
    })
  }

  async function end({ timeout = null } = {}) {
    if (ending)
      return ending

    await 1
    let timer
    return ending = Promise.race([
      new Promise(r => timeout !== null && (timer = setTimeout(destroy, timeout * 1000, r))),
      Promise.all(connections.map(c => c.end()).concat(
        listen.sql ? listen.sql.end({ timeout: 0 }) : [],
        subscribe.sql ? subscribe.sql.end({ timeout: 0 }) : []
      ))
    ]).then(() => clearTimeout(timer))
  }

  async function close() {
    await Promise.all(connections.map(c => c.end()))
  }

  async function destroy(resolve) {
    await Promise.all(connections.map(c => c.terminate()))
    while (queries.length)
      queries.shift().reject(Errors.connection('CONNECTION_DESTROYED', options))
    resolve()
  }

  function connect(c, query) {
    move(c, connecting)
    c.connect(query)
    return c
  }

  function onend(c) {
    move(c, ended)
  }

  function onopen(c) {
    if (queries.length === 0)
      return move(c, open)

    let max = Math.ceil(queries.length / (connecting.length + 1))
      , ready = true

    while (ready && queries.length && max-- > 0) {
      const query = queries.shift()
      if (query.reserve)
        return query.reserve(c)

      ready = c.execute(query)
    }

    ready
      ? move(c, busy)
      : move(c, full)
  }

  function onclose(c, e) {
    move(c, closed)
    c.reserved = null
    c.onclose && (c.onclose(e), c.onclose = null)
    options.onclose && options.onclose(c.id)
    queries.length && connect(c, queries.shift())
  }
}

function parseOptions(a, b) {
  if (a && a.shared)
    return a

  const env = process.env // eslint-disable-line
      , o = (!a || typeof a === 'string' ? b : a) || {}
      , { url, multihost } = parseUrl(a)
      , query = [...url.searchParams].reduce((a, [b, c]) => (a[b] = c, a), {})
      , host = o.hostname || o.host || multihost || url.hostname || env.PGHOST || 'localhost'
      , port = o.port || url.port || env.PGPORT || 5432
      , user = o.user || o.username || url.username || env.PGUSERNAME || env.PGUSER || osUsername()

  o.no_prepare && (o.prepare = false)
  query.sslmode && (query.ssl = query.sslmode, delete query.sslmode)
  'timeout' in o && (console.log('The timeout option is deprecated, use idle_timeout instead'), o.idle_timeout = o.timeout) // eslint-disable-line
  query.sslrootcert === 'system' && (query.ssl = 'verify-full')

  const ints = ['idle_timeout', 'connect_timeout', 'max_lifetime', 'max_pipeline', 'backoff', 'keep_alive']
  const defaults = {
    max             : globalThis.Cloudflare ? 3 : 10,
    ssl             : false,
    sslnegotiation  : null,
    idle_timeout    : null,
    connect_timeout : 30,
    max_lifetime    : max_lifetime,
    max_pipeline    : 100,
    backoff         : backoff,
    keep_alive      : 60,
    prepare         : true,
    debug           : false,
    fetch_types     : true,
    publications    : 'alltables',
    target_session_attrs: null
  }

  return {
    host            : Array.isArray(host) ? host : host.split(',').map(x => x.split(':')[0]),
    port            : Array.isArray(port) ? port : host.split(',').map(x => parseInt(x.split(':')[1] || port)),
    path            : o.path || host.indexOf('/') > -1 && host + '/.s.PGSQL.' + port,
    database        : o.database || o.db || (url.pathname || '').slice(1) || env.PGDATABASE || user,
    user            : user,
    pass            : o.pass || o.password || url.password || env.PGPASSWORD || '',
    ...Object.entries(defaults).reduce(
      (acc, [k, d]) => {
        const value = k in o ? o[k] : k in query
          ? (query[k] === 'disable' || query[k] === 'false' ? false : query[k])
          : env['PG' + k.toUpperCase()] || d
        acc[k] = typeof value === 'string' && ints.includes(k)
          ? +value
          : value
        return acc
      },
      {}
    ),
    connection      : {
      application_name: env.PGAPPNAME || 'postgres.js',
      ...o.connection,
      ...Object.entries(query).reduce((acc, [k, v]) => (k in defaults || (acc[k] = v), acc), {})
    },
    types           : o.types || {},
    target_session_attrs: tsa(o, url, env),
    onnotice        : o.onnotice,
    onnotify        : o.onnotify,
    onclose         : o.onclose,
    onparameter     : o.onparameter,
    socket          : o.socket,
    transform       : parseTransform(o.transform || { undefined: undefined }),
    parameters      : {},
    shared          : { retries: 0, typeArrayMap: {} },
    ...mergeUserTypes(o.types)
  }
}

function tsa(o, url, env) {
  const x = o.target_session_attrs || url.searchParams.get('target_session_attrs') || env.PGTARGETSESSIONATTRS
  if (!x || ['read-write', 'read-only', 'primary', 'standby', 'prefer-standby'].includes(x))
    return x

  throw new Error('target_session_attrs ' + x + ' is not supported')
}

function backoff(retries) {
  return (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 20)
}

function max_lifetime() {
  return 60 * (30 + Math.random() * 30)
}

function parseTransform(x) {
  return {
    undefined: x.undefined,
    column: {
      from: typeof x.column === 'function' ? x.column : x.column && x.column.from,
      to: x.column && x.column.to
    },
    value: {
      from: typeof x.value === 'function' ? x.value : x.value && x.value.from,
      to: x.value && x.value.to
    },
    row: {
      from: typeof x.row === 'function' ? x.row : x.row && x.row.from,
      to: x.row && x.row.to
    }
  }
}

function parseUrl(url) {
  if (!url || typeof url !== 'string')
    return { url: { searchParams: new Map() } }

  let host = url
  host = host.slice(host.indexOf('://') + 3).split(/[?/]/)[0]
  host = decodeURIComponent(host.slice(host.indexOf('@') + 1))

  const urlObj = new URL(url.replace(host, host.split(',')[0]))

  return {
    url: {
      username: decodeURIComponent(urlObj.username),
      password: decodeURIComponent(urlObj.password),
      host: urlObj.host,
      hostname: urlObj.hostname,
      port: urlObj.port,
      pathname: urlObj.pathname,
      searchParams: urlObj.searchParams
    },
    multihost: host.indexOf(',') > -1 && host
  }
}

function osUsername() {
  try {
    return external_os_namespaceObject.userInfo().username // eslint-disable-line
  } catch (_) {
    return process.env.USERNAME || process.env.USER || process.env.LOGNAME  // eslint-disable-line
  }
}

;// CONCATENATED MODULE: ./src/pause.ts
/**
 * Waits `ms`, or less when `signal` aborts: backoffs (connection retries, lock polling, lock-timeout
 * retries) can be long, and Ctrl-C must not wait them out. Never rejects; callers check the signal.
 */
function pause(ms, signal) {
    if (signal?.aborted)
        return Promise.resolve();
    return new Promise((resolve) => {
        const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
    });
}

;// CONCATENATED MODULE: ./src/db/connect.ts
// Opens the database with retries (a deploy often races a database that is still starting), and
// turns connection failures into one sentence naming host, port and database, never the password.
//
// pgshift opens the TCP socket itself (postgres.js's `socket` option) so that it can see what the
// other end did: accepted and closed, never answered, answered with something that is not Postgres,
// declined TLS. Every attempt is bounded by a timer of pgshift's own, because postgres.js reconnects
// forever when a server closes the connection before the first answer.
//
// Once connected, the same socket tells pgshift when the session ends under it (a terminated
// backend, a shutdown, a reset): see Lifeline and guarded().





/** How long a refused connection (nothing listening) is retried unless --connect-timeout is given. */
const REFUSED_RETRY_MS = 5000;
/** The longest single attempt; a longer --connect-timeout means more attempts. */
const ATTEMPT_MS = 10_000;
const MIN_ATTEMPT_MS = 250;
function describeTarget(url) {
    try {
        const u = new URL(url);
        return {
            host: decodeURIComponent(u.hostname || u.searchParams.get('host') || 'localhost'),
            port: u.port || '5432',
            database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
            user: decodeURIComponent(u.username),
        };
    }
    catch {
        throw new ConfigError('the database URL is not a valid URL: use postgres://user:password@host:5432/database.');
    }
}
/** "host:port/database as user", as every connection message names the target. */
function whereOf(target) {
    return `${target.host}:${target.port}/${target.database}${target.user ? ` as ${target.user}` : ''}`;
}
/**
 * `pgshift@<host>:<pid>`: pg_stat_activity (and so the lock holder message) names the machine and the
 * process. Postgres keeps 63 bytes of printable ASCII, so the host is cut to fit and anything else is
 * replaced as the server would.
 */
function applicationName(host = (0,external_node_os_namespaceObject.hostname)(), pid = process.pid) {
    const tail = `:${pid}`;
    const safe = host.replace(/[^\x20-\x7e]/g, '?');
    return `pgshift@${safe.slice(0, Math.max(0, 63 - 'pgshift@'.length - tail.length))}${tail}`;
}
function seconds(ms) {
    return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
/** Errors a retry can cure: the server is not up yet, or is full for a moment. */
function isTransient(err) {
    if (err instanceof AttemptFailed)
        return err.transient;
    const e = err;
    const code = e?.code ?? e?.errno ?? '';
    return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', '57P03', '53300'].includes(code);
}
/** What one attempt came to, in words about what the server did. */
class AttemptFailed extends Error {
    transient;
    code;
    constructor(message, transient, code) {
        super(message);
        this.transient = transient;
        this.code = code;
    }
}
/** The SSLRequest packet: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);
/** First bytes a Postgres server may answer a startup message with: auth, error, protocol version, notice. */
const STARTUP_REPLIES = new Set([0x52 /* R */, 0x45 /* E */, 0x76 /* v */, 0x4e /* N */]);
/** Fields of an ErrorResponse body: severity, SQLSTATE, message. */
function connect_errorFields(body) {
    const out = {};
    let i = 0;
    while (i < body.length && body[i] !== 0) {
        const field = String.fromCharCode(body[i]);
        const end = body.indexOf(0, i + 1);
        if (end < 0)
            break;
        const value = body.toString('utf8', i + 1, end);
        if (field === 'V' || (field === 'S' && !out.severity))
            out.severity = value;
        else if (field === 'C')
            out.code = value;
        else if (field === 'M')
            out.message = value;
        i = end + 1;
    }
    return out;
}
/**
 * Reads the server's side of the wire as frames (type byte, length), keeping only ErrorResponse bodies:
 * a FATAL one is why a session ended. Everything else is skipped without being buffered.
 */
class Frames {
    onError;
    head = Buffer.alloc(0);
    skip = 0;
    body;
    /** Set when the first frame cannot be Postgres's. */
    garbage = false;
    first = true;
    constructor(onError) {
        this.onError = onError;
    }
    feed(chunk) {
        let i = 0;
        while (i < chunk.length && !this.garbage) {
            if (this.skip > 0) {
                const n = Math.min(this.skip, chunk.length - i);
                i += n;
                this.skip -= n;
                continue;
            }
            if (this.body) {
                const n = Math.min(this.body.remaining, chunk.length - i);
                this.body.parts.push(chunk.subarray(i, i + n));
                this.body.remaining -= n;
                i += n;
                if (this.body.remaining === 0) {
                    this.onError(connect_errorFields(Buffer.concat(this.body.parts)));
                    this.body = undefined;
                }
                continue;
            }
            const n = Math.min(5 - this.head.length, chunk.length - i);
            this.head = Buffer.concat([this.head, chunk.subarray(i, i + n)]);
            i += n;
            if (this.head.length < 5)
                continue;
            const type = this.head[0];
            const length = this.head.readUInt32BE(1);
            this.head = Buffer.alloc(0);
            // A first answer that is not a startup reply, or has an absurd length, is another protocol.
            if (this.first && (!STARTUP_REPLIES.has(type) || length < 4 || length > 65_536)) {
                this.garbage = true;
                return;
            }
            this.first = false;
            if (type === 0x45 && length - 4 <= 1 << 20)
                this.body = { parts: [], remaining: length - 4 };
            else
                this.skip = length - 4;
        }
    }
}
/** A printable glimpse of what a non-Postgres server sent. */
function glimpse(bytes) {
    const text = bytes
        .subarray(0, 40)
        .toString('latin1')
        .replace(/[^\x20-\x7e]/g, '.');
    return `"${text}${bytes.length > 40 ? '…' : ''}"`;
}
/**
 * The session's connection, once it is up: whether it has ended under pgshift, and why. The reason
 * comes from the server's last words (a FATAL ErrorResponse, read off the socket) or from the socket
 * (a reset, a close with no word).
 */
class Lifeline {
    target;
    armed = false;
    reason_;
    code_;
    listeners = [];
    /** Postgres's pid of the session, to tell after a loss whether it is still running. */
    pid;
    constructor(target) {
        this.target = target;
    }
    get lost() {
        return this.reason_ !== undefined;
    }
    /** Why the connection ended, as far as pgshift could see. */
    get reason() {
        return this.reason_ ?? 'the connection is open';
    }
    /** The SQLSTATE of the server's last words, when it said any. */
    get code() {
        return this.code_;
    }
    /** From here on, an end of the connection is a loss. */
    arm() {
        this.armed = true;
    }
    /** pgshift is closing the connection itself. */
    disarm() {
        this.armed = false;
    }
    /** The server's FATAL words; they come before the close, and say more than it. */
    fatal(message, code) {
        if (!this.armed || this.lost)
            return;
        this.lose(`the server ended the session: ${message}${code ? ` (SQLSTATE ${code})` : ''}`, code);
    }
    /** The socket ended, was reset, or postgres.js saw it close. */
    ended(how) {
        if (!this.armed || this.lost)
            return;
        this.lose(how);
    }
    /** Runs `fn` once the connection is lost (soon after, so that what arrived before it settles first). */
    onLost(fn) {
        if (this.lost)
            setImmediate(fn);
        else
            this.listeners.push(fn);
    }
    lose(reason, code) {
        this.reason_ = reason;
        this.code_ = code;
        // Answers that arrived in the same read as the server's last words are handled by postgres.js
        // right after this: the queries they answer settle first, and only the rest are lost.
        setImmediate(() => {
            for (const fn of this.listeners.splice(0))
                fn();
        });
    }
}
/** The error every query on a lost connection rejects with. */
class ConnectionLostError extends Error {
    reason;
    code = 'PGSHIFT_CONNECTION_LOST';
    constructor(reason) {
        super(`the connection to Postgres was lost: ${reason}`);
        this.reason = reason;
        this.name = 'ConnectionLostError';
    }
}
/**
 * The reserved connection, with a promise kept: once the connection is lost, every query still
 * waiting rejects, and every new one rejects at once. postgres.js 3.4.9 does neither for a reserved
 * connection: queries held in the reservation's own queue (the pipeline waits there behind a
 * statement that needs a describe round trip) never settle, which leaves Node with nothing to do and
 * exits 0 with nothing printed; and a query sent after the close writes to a null socket, an uncaught
 * TypeError (porsager/postgres#1186, #1097).
 */
function guarded(reserved, life) {
    const waiting = new Set();
    const refuse = (q) => {
        const err = new ConnectionLostError(life.reason);
        q.handler = (x) => x.reject(err);
        q.reject(err);
    };
    life.onLost(() => {
        for (const q of waiting)
            refuse(q);
        waiting.clear();
    });
    const track = (q) => {
        if (!(q instanceof Promise))
            return q; // an identifier or a fragment, not a query
        const query = q;
        if (life.lost) {
            refuse(query);
        }
        else {
            waiting.add(query);
            const done = () => waiting.delete(query);
            // Promise's own then: postgres.js's would send the query now.
            Promise.prototype.then.call(q, done, done);
        }
        return q;
    };
    return new Proxy(reserved, {
        apply: (target, self, args) => track(Reflect.apply(target, self, args)),
        get: (target, prop, receiver) => {
            if (prop === 'unsafe')
                return (...args) => track(target.unsafe(...args));
            return Reflect.get(target, prop, receiver);
        },
    });
}
/**
 * One attempt's socket, watched: whether TCP connected, what came back, how it ended. Given to
 * postgres.js as its `socket` option; after a success, it keeps telling the Lifeline.
 */
class Probe {
    target;
    life;
    connected = false;
    received = Buffer.alloc(0);
    bytes = 0;
    sslRequested = false;
    /** The one-byte answer to an SSLRequest: 'S' (TLS follows) or 'N' (no TLS here). */
    sslAnswer;
    /** Set once the attempt has an outcome: no more sockets (postgres.js would reconnect forever). */
    done = false;
    /** The attempt connected: the session is up. */
    up = false;
    sockets = [];
    fail;
    failed;
    constructor(target, life) {
        this.target = target;
        this.life = life;
        this.failed = new Promise((_, reject) => (this.fail = reject));
        this.failed.catch(() => { });
    }
    open() {
        const t = this.target;
        const dial = () => (t.host.startsWith('/') ? (0,external_node_net_namespaceObject.createConnection)({ path: `${t.host}/.s.PGSQL.${t.port}` }) : (0,external_node_net_namespaceObject.createConnection)({ host: t.host, port: Number(t.port) }));
        // Once connected, postgres.js opens a socket of its own only to send a cancel request (an
        // interrupt): that one is not the session, and nothing about it concerns the lifeline.
        // Handed over at once (writes wait for the connection): a socket postgres.js never received would
        // leave its cancel writing to nothing, an uncaught TypeError.
        if (this.up)
            return Promise.resolve(dial().on('error', () => { }));
        if (this.done)
            return Promise.reject(new AttemptFailed('the attempt is over', false));
        const socket = dial();
        this.sockets.push(socket);
        // postgres.js names the server for TLS (SNI) from this.
        socket.host = t.host;
        const write = socket.write.bind(socket);
        let firstWrite = true;
        socket.write = (chunk, cb) => {
            if (firstWrite)
                this.sslRequested = Buffer.from(chunk).equals(SSL_REQUEST);
            firstWrite = false;
            return write(chunk, cb);
        };
        const frames = new Frames((f) => {
            if (f.severity === 'FATAL' || f.severity === 'PANIC')
                this.life.fatal(f.message ?? 'no message', f.code);
        });
        let ssl = false;
        socket.on('data', (chunk) => {
            this.bytes += chunk.length;
            if (this.received.length < 64)
                this.received = Buffer.concat([this.received, chunk]).subarray(0, 64);
            let rest = chunk;
            if (this.sslRequested && this.sslAnswer === undefined) {
                this.sslAnswer = String.fromCharCode(chunk[0]);
                if (this.sslAnswer !== 'S' && this.sslAnswer !== 'N' && this.sslAnswer !== 'E')
                    return this.garbage(socket);
                ssl = this.sslAnswer === 'S';
                rest = this.sslAnswer === 'E' ? chunk : chunk.subarray(1);
            }
            // Under TLS the bytes are ciphertext: only the socket's end says anything from here.
            if (ssl)
                return;
            frames.feed(rest);
            if (frames.garbage)
                this.garbage(socket);
        });
        socket.on('end', () => this.life.ended('the server closed the connection without a word (a crash, a proxy or the network)'));
        socket.on('error', (err) => {
            this.life.ended(`the connection broke: ${err.message}`);
            if (this.done || !this.connected)
                return;
            if (this.bytes === 0)
                this.settle(new AttemptFailed(`the server closed the connection before answering (${err.code ?? err.message})`, true, 'CLOSED_BEFORE_ANSWER'));
            else
                this.settle(new AttemptFailed(`the connection broke during the login (${err.code ?? err.message})`, true, err.code));
        });
        socket.on('close', () => {
            this.life.ended('the connection closed');
            if (this.done || !this.connected)
                return;
            // postgres.js would reconnect and try again at once, for ever: the attempt ends here.
            if (this.bytes === 0)
                this.settle(new AttemptFailed('the server closed the connection before answering', true, 'CLOSED_BEFORE_ANSWER'));
            else
                this.settle(new AttemptFailed('the server closed the connection during the login', true, 'CLOSED_DURING_LOGIN'));
        });
        return new Promise((resolve, reject) => {
            socket.once('connect', () => {
                this.connected = true;
                resolve(socket);
            });
            socket.once('error', (err) => {
                if (this.connected)
                    return;
                this.settle(new AttemptFailed(err.code === 'ECONNREFUSED' ? `the connection was refused: nothing listens on port ${t.port} there (ECONNREFUSED)` : err.message, isTransient(err), err.code));
                reject(err);
            });
        });
    }
    garbage(socket) {
        this.settle(new AttemptFailed(`the server answered with something that is not the Postgres protocol (it began ${glimpse(this.received)}): is this the right port?`, true, 'NOT_POSTGRES'));
        socket.destroy();
    }
    settle(err) {
        if (this.done)
            return;
        this.done = true;
        this.fail(err);
    }
    /** Why an attempt that ran out of time did not connect. */
    timedOut(ms) {
        const within = `within ${seconds(ms)}`;
        if (!this.connected)
            return new AttemptFailed(`the server did not accept a TCP connection ${within}`, true, 'ETIMEDOUT');
        if (this.bytes === 0)
            return new AttemptFailed(`the server accepted the connection but did not answer ${within}`, true, 'NO_ANSWER');
        if (this.sslAnswer === 'S')
            return new AttemptFailed(`the server agreed to TLS but the handshake and login did not finish ${within}`, true, 'TLS_TIMEOUT');
        return new AttemptFailed(`the server began to answer but the login did not finish ${within}`, true, 'LOGIN_TIMEOUT');
    }
    destroy() {
        this.done = true;
        for (const s of this.sockets)
            s.destroy();
    }
}
async function connect(opts) {
    if (!/^postgres(ql)?:\/\//i.test(opts.databaseUrl)) {
        throw new ConfigError('the database URL must start with postgres:// or postgresql:// (set --database-url or DATABASE_URL).');
    }
    const target = describeTarget(opts.databaseUrl);
    const started = Date.now();
    const deadline = started + opts.connectTimeoutMs;
    const refusedDeadline = started + Math.min(opts.connectTimeoutMs, opts.refusedRetryMs ?? REFUSED_RETRY_MS);
    const interrupted = () => new AbortedError('interrupted while connecting to the database; nothing ran');
    const where = whereOf(target);
    for (let attempt = 1;; attempt++) {
        if (opts.signal?.aborted)
            throw interrupted();
        const lifeline = new Lifeline(target);
        const probe = new Probe(target, lifeline);
        // The last attempt may start at the deadline: it still gets a moment to be answered.
        const attemptMs = Math.max(MIN_ATTEMPT_MS, Math.min(ATTEMPT_MS, deadline - Date.now()));
        // `socket` and `max_pipeline` are documented options that postgres.js's types leave out.
        const options = {
            max: 1,
            onnotice: () => { },
            // A backstop only: pgshift's own timer below ends the attempt first.
            connect_timeout: Math.ceil(attemptMs / 1000) + 1,
            // A session must not be recycled under a long migration (0: never): its end would be a lost connection.
            max_lifetime: 0,
            socket: () => probe.open(),
            onclose: () => lifeline.ended('the connection closed'),
            connection: { application_name: opts.applicationName ?? applicationName() },
            // Named prepared statements let the tracking queries, the same text for every migration, be
            // described once: otherwise each one stops the pipeline for a describe round trip. Migration SQL
            // itself goes as simple queries, which are never prepared.
            prepare: true,
            // pgshift sends no array parameters: skip the pg_type query postgres.js makes on every connect.
            fetch_types: false,
            // Past this many queries in flight postgres.js sends the rest one per answer: a round trip each.
            // The engine bounds what it sends itself (a window of migrations, execute/run.ts).
            max_pipeline: 100_000,
        };
        const sql = src(opts.databaseUrl, options);
        let onAbort;
        let timer;
        try {
            const [{ pid }] = await Promise.race([
                sql `select pg_backend_pid() as pid`,
                probe.failed,
                new Promise((_, reject) => {
                    timer = setTimeout(() => reject(probe.timedOut(attemptMs)), attemptMs);
                }),
                // An attempt on a host that drops packets lasts up to its timer: an interrupt ends it too.
                new Promise((_, reject) => {
                    onAbort = () => reject(interrupted());
                    opts.signal?.addEventListener('abort', onAbort, { once: true });
                }),
            ]);
            probe.done = probe.up = true;
            lifeline.pid = pid;
            lifeline.arm();
            return { sql, lifeline };
        }
        catch (err) {
            probe.destroy();
            await sql.end({ timeout: 0 }).catch(() => { });
            if (err instanceof AbortedError)
                throw err;
            const refused = err?.code === 'ECONNREFUSED';
            // sslmode=require (or verify-*) against a server that said it has no TLS: no retry will change that.
            const ssl = sql.options.ssl;
            if (probe.sslAnswer === 'N' && ssl && ssl !== 'prefer') {
                const mode = typeof ssl === 'string' ? ssl : 'verify-full';
                throw new ConnectionError(`cannot connect to Postgres at ${where}: the server does not offer TLS (it declined the SSL request), and the connection asks for sslmode=${mode}. Enable TLS on the server, or use sslmode=prefer or sslmode=disable where an unencrypted connection is acceptable.`);
            }
            const reason = opts.redactor.redact(err?.message ?? String(err));
            const now = Date.now();
            const until = refused ? refusedDeadline : deadline;
            if (!isTransient(err) || now >= until) {
                const attempts = `${attempt} attempt${attempt > 1 ? 's' : ''}`;
                const wait = !isTransient(err)
                    ? ''
                    : refused && until < deadline
                        ? ` (gave up after ${attempts}; a refused connection is retried for ${seconds(until - started)} only: raise --connect-timeout to wait longer for a server that is still starting)`
                        : ` (gave up after ${attempts}; raise --connect-timeout to wait longer)`;
                throw new ConnectionError(`cannot connect to Postgres at ${where}: ${reason}${wait}.`);
            }
            const delayMs = Math.min(until - now, Math.min(5000, 250 * 2 ** (attempt - 1)));
            opts.onEvent?.({ type: 'connect-retry', attempt, delayMs, message: `cannot connect to ${where} yet (${reason}); retrying in ${delayMs} ms` });
            await pause(delayMs, opts.signal);
        }
        finally {
            clearTimeout(timer);
            if (onAbort)
                opts.signal?.removeEventListener('abort', onAbort);
        }
    }
}

;// CONCATENATED MODULE: ./src/db/identifiers.ts
/** Quotes an identifier (schema name) for SQL text; values always go as parameters instead. */
function quoteIdent(name) {
    return '"' + name.replace(/"/g, '""') + '"';
}

;// CONCATENATED MODULE: ./src/files/errors.ts
// The error a file form raises for a file it cannot use; in its own module so that the forms and the
// reader that loops over them both import it without importing each other.
/** A file that cannot be used as a migration; carries the line to point at. */
class MigrationFileError extends Error {
    path;
    line;
    reason;
    constructor(path, line, reason) {
        super(`${path}${line ? `:${line}` : ''}: ${reason}`);
        this.path = path;
        this.line = line;
        this.reason = reason;
        this.name = 'MigrationFileError';
    }
}

;// CONCATENATED MODULE: ./src/files/forms/shared.ts

const DBMATE_MARKER = /^--\s*migrate:(\S*)(.*)$/;
/** A marker in all but case or spacing: "-- Migrate:Up", "-- migrate: up", "-- migrate : down". */
const LOOSE_MARKER = /^--\s*migrate\s*:\s*(up|down)(?![\w-])(.*)$/i;
/**
 * The right spelling of a line that is a dbmate marker in all but case or spacing, or undefined. Such
 * a line is not a marker to dbmate (it matches `-- migrate:up` exactly, at the start of the line), so
 * the file would be read as one plain section and its down SQL would run as part of up.
 */
function nearMissMarker(trimmedLine) {
    const m = trimmedLine.match(LOOSE_MARKER);
    if (!m)
        return undefined;
    const direction = m[1].toLowerCase();
    if (trimmedLine.match(DBMATE_MARKER)?.[1] === direction)
        return undefined;
    // Options stay as written ("transaction:false"); anything glued to the word is dropped.
    return /^\s+\S/.test(m[2]) ? `-- migrate:${direction} ${m[2].trim()}` : `-- migrate:${direction}`;
}
/** The error for a near-miss marker: what to write instead, and what happens if it stays. */
function nearMissError(path, lineNo, line, right) {
    return new MigrationFileError(path, lineNo, `"${line}" is not a section marker: markers are lower case with no space around the colon. Write "${right}": as it stands the line is only a comment, so the file would not be split there and its down SQL would run as part of up.`);
}
/**
 * The error for a marker that is indented. Its tool matches markers at the start of the line only, so
 * to it the line is a comment: the file would not be split there and the SQL after it would run as
 * part of the section above.
 */
function indentedMarkerError(path, lineNo, line, tool) {
    return new MigrationFileError(path, lineNo, `"${line.trim()}" is indented, and ${tool} reads a marker only at the start of the line: to ${tool} this line is a comment, so the file would not be split there and what follows would run as part of the section above. Remove the spaces before "--".`);
}
/** The first line of `text` that `test` accepts, or undefined. */
function firstLine(text, test) {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++)
        if (test(lines[i]))
            return { line: i + 1, text: lines[i].trim() };
    return undefined;
}
/** True when the text holds nothing but white space and comments (and stray semicolons). */
function isBlankSql(sql) {
    return (sql
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/--[^\n]*/g, '')
        .replace(/[\s;]/g, '') === '');
}
/** Character offset of each line's start in `lines.join('\n')`. */
function lineOffsets(lines) {
    const out = [];
    let at = 0;
    for (const l of lines) {
        out.push(at);
        at += l.length + 1;
    }
    return out;
}
const PGSHIFT_DIRECTIVE = /^--\s*pgshift:(\S*)(.*)$/;
/** Directives that belong to the linter, accepted anywhere. */
const LINT_DIRECTIVES = new Set(['ignore']);
const NO_TRANSACTION_LINE = '-- pgshift:no-transaction';
/** Reads `-- pgshift:no-transaction` from the leading comments of a single-section file. */
function standaloneSection(path, sql) {
    let transaction = true;
    const lines = sql.split('\n');
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i].trim();
        const d = line.match(PGSHIFT_DIRECTIVE);
        if (d) {
            if (d[1] === 'no-transaction' && d[2].trim() === '')
                transaction = false;
            else if (!LINT_DIRECTIVES.has(d[1])) {
                throw new MigrationFileError(path, i + 1, `unknown directive "${line}". pgshift knows "-- pgshift:no-transaction" and "-- pgshift:ignore <rule>".`);
            }
            continue;
        }
        if (DBMATE_MARKER.test(line) || nearMissMarker(line) !== undefined) {
            throw new MigrationFileError(path, i + 1, `"${line}" is a dbmate marker, but this file's name gives it one direction only. Remove the marker, or use a single <version>_<name>.sql file with both sections.`);
        }
    }
    return { sql, path, startLine: 1, transaction };
}
/** The sections of a form whose down (if any) is a file of its own. */
function separateFiles(path, text, down) {
    const up = standaloneSection(path, text);
    return { up, down: down ? standaloneSection(down.path, down.text()) : undefined };
}
/** A section of lines [from, to), carrying the statement blocks that lie inside it. */
function sectionOf(lines, blocks, path, from, to, transaction) {
    const body = lines.slice(from, to);
    const offsets = lineOffsets(body);
    const inside = blocks.filter((b) => b.from >= from && b.to <= to).map((b) => ({ start: offsets[b.from - from], end: offsets[b.to - from] }));
    return { sql: body.join('\n'), path, startLine: from + 1, transaction, ...(inside.length ? { blocks: inside } : {}) };
}
/**
 * A file with an up marker on line `up` and maybe a down marker on line `down` (0-based): the up section
 * between them, the down section from the down marker to the end, the lines above the up marker as the preamble.
 */
function splitAtMarkers(lines, up, down, section) {
    return {
        up: section(up + 1, down ?? lines.length, 'up'),
        down: down === undefined ? undefined : section(down + 1, lines.length, 'down'),
        preamble: up > 0 ? lines.slice(0, up) : undefined,
    };
}

;// CONCATENATED MODULE: ./src/files/forms/dbmate.ts


const NAME = /^(\d+)_(.+)\.sql$/i;
function dbmate_parseOptions(path, lineNo, rest) {
    let transaction = true;
    for (const option of rest.trim().split(/\s+/).filter(Boolean)) {
        const m = option.match(/^transaction:(true|false)$/);
        if (!m)
            throw new MigrationFileError(path, lineNo, `unknown option "${option}" on the section header. The only option is transaction:false (or transaction:true).`);
        transaction = m[1] === 'true';
    }
    return transaction;
}
/** Splits a dbmate file into its up and down sections; undefined when the file has no markers (plain form). */
function sections(path, text) {
    const lines = text.split('\n');
    let up;
    let down;
    let firstContent;
    // A pgshift directive is wrong only in a file with dbmate markers; without them the file is plain,
    // where "-- pgshift:no-transaction" is how a whole file asks to run without a transaction.
    let badDirective;
    let any = false;
    for (let i = 0; i < lines.length; i++) {
        const trimmed = lines[i].trim();
        const right = nearMissMarker(trimmed);
        if (right)
            throw nearMissError(path, i + 1, trimmed, right);
        // dbmate matches a marker at the start of the line only ("(?m)^--\s*migrate:up"); trailing space is fine.
        const m = lines[i].trimEnd().match(DBMATE_MARKER);
        if (!m && DBMATE_MARKER.test(trimmed))
            throw indentedMarkerError(path, i + 1, lines[i], 'dbmate');
        if (!m) {
            const d = trimmed.match(PGSHIFT_DIRECTIVE);
            if (d && !LINT_DIRECTIVES.has(d[1]))
                badDirective ??= { line: i + 1, text: trimmed };
            if (firstContent === undefined && trimmed !== '' && !trimmed.startsWith('--'))
                firstContent = i + 1;
            continue;
        }
        any = true;
        const lineNo = i + 1;
        if (m[1] === 'up') {
            if (up)
                throw new MigrationFileError(path, lineNo, `a second "-- migrate:up" (the first is on line ${up.line}). Keep one up section per file.`);
            if (down)
                throw new MigrationFileError(path, lineNo, `"-- migrate:up" comes after "-- migrate:down" (line ${down.line}). Put the up section first.`);
            if (firstContent !== undefined) {
                throw new MigrationFileError(path, firstContent, `text before "-- migrate:up" (line ${lineNo}) would belong to no section. Move it below the marker or delete it.`);
            }
            up = { line: lineNo, transaction: dbmate_parseOptions(path, lineNo, m[2]) };
        }
        else if (m[1] === 'down') {
            if (!up)
                throw new MigrationFileError(path, lineNo, `"-- migrate:down" with no "-- migrate:up" before it. Add "-- migrate:up" above the up SQL.`);
            if (down)
                throw new MigrationFileError(path, lineNo, `a second "-- migrate:down" (the first is on line ${down.line}). Keep one down section per file.`);
            down = { line: lineNo, transaction: dbmate_parseOptions(path, lineNo, m[2]) };
        }
        else {
            throw new MigrationFileError(path, lineNo, `unknown directive "${trimmed}". Sections start with "-- migrate:up" and "-- migrate:down".`);
        }
    }
    if (!any)
        return undefined;
    if (badDirective) {
        throw new MigrationFileError(path, badDirective.line, `unknown directive "${badDirective.text}". In a file with -- migrate:up, use "-- migrate:up transaction:false" instead.`);
    }
    if (!up)
        throw new MigrationFileError(path, undefined, 'no "-- migrate:up" section. Add one above the up SQL.');
    const upEnd = down ? down.line - 1 : lines.length;
    const section = (from, to, transaction) => ({
        sql: lines.slice(from, to).join('\n'),
        path,
        startLine: from + 1,
        transaction,
    });
    return {
        up: section(up.line, upEnd, up.transaction),
        down: down ? section(down.line, lines.length, down.transaction) : undefined,
        // Only comments and blank lines can sit above the marker (anything else was refused above).
        preamble: up.line > 1 ? lines.slice(0, up.line - 1) : undefined,
    };
}
/** A dbmate marker as dbmate matches it: "-- migrate:up" or "-- migrate:down" at the start of a line. */
const MARKER = /^--\s*migrate:(up|down)(\s*$|\s+\S)/;
const dbmate = {
    id: 'dbmate',
    tool: 'dbmate',
    addDown: 'Add a "-- migrate:down" section (left empty if there is nothing to undo)',
    marker: (text) => firstLine(text, (line) => MARKER.test(line)),
    claims(fileName) {
        const m = fileName.match(NAME);
        return m ? { version: m[1], name: m[2], role: 'up' } : undefined;
    },
    sections,
    noTransactionHeader: (direction) => ({ line: `-- migrate:${direction} transaction:false`, isSectionHeader: true }),
    template: () => '-- migrate:up\n\n\n-- migrate:down\n\n',
    fileNames: '<version>_<name>.sql',
};

;// CONCATENATED MODULE: ./src/sql/transaction.ts
/** REINDEX of these objects only: Flyway's pattern is "^REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM)". */
const REINDEX_KINDS = new Set(['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM']);
/** CREATE/DROP DATABASE, TABLESPACE and SUBSCRIPTION ("^(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)") and ALTER SYSTEM. */
const ALWAYS = new Set(['CreatedbStmt', 'DropdbStmt', 'CreateTableSpaceStmt', 'DropTableSpaceStmt', 'CreateSubscriptionStmt', 'DropSubscriptionStmt', 'AlterSystemStmt']);
/**
 * True when Flyway would run the script holding this statement outside a transaction. Flyway also
 * counts ALTER TYPE … ADD VALUE, but only on servers older than 12, where Postgres refuses it in a
 * transaction; on 12 and later it runs in one, and so it does here.
 */
function flywayRunsOutsideTransaction(s) {
    const node = s.node;
    if (ALWAYS.has(s.kind))
        return true;
    switch (s.kind) {
        case 'IndexStmt':
            return node.concurrent === true;
        case 'DropStmt':
            return node.concurrent === true && node.removeType === 'OBJECT_INDEX';
        case 'ReindexStmt':
            return REINDEX_KINDS.has(String(node.kind));
        case 'VacuumStmt':
            // ANALYZE parses as a VacuumStmt too; Flyway's pattern is "^VACUUM".
            return node.is_vacuumcmd === true;
        case 'DiscardStmt':
            return node.target === 'DISCARD_ALL';
        default:
            return false;
    }
}
/** The statement's first words, for a note ("CREATE INDEX CONCURRENTLY users_email_idx …"). */
function statementWords(s) {
    const words = s.sql.replace(/\s+/g, ' ').split(' ');
    return words.length > 4 ? `${words.slice(0, 4).join(' ')} …` : words.join(' ');
}

;// CONCATENATED MODULE: ./src/files/forms/flyway.ts
// Flyway: `V<version>__<name>.sql`, with an optional undo file `U<version>__<name>.sql`. Versions may
// have parts ("1.2", "1_2"). Repeatable `R__<name>.sql` migrations run after the versioned ones whenever
// they are new or changed, as Flyway runs them; their identity is "R__<name>" (see repeatableVersion).



const flyway_NAME = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const REPEATABLE = /^R__(.+)\.sql$/;
const flyway = {
    id: 'flyway',
    tool: 'Flyway',
    addDown: 'Add an undo file U<version>__<name>.sql of the same version (an empty one if there is nothing to undo)',
    // As Flyway does: a script holding a statement that cannot run in a transaction runs without one.
    outsideTransaction: (statements) => statements.find(flywayRunsOutsideTransaction),
    claims(fileName) {
        const r = fileName.match(REPEATABLE);
        if (r)
            return { version: repeatableVersion(r[1]), name: r[1], role: 'repeatable' };
        const m = fileName.match(flyway_NAME);
        if (!m)
            return undefined;
        // As in Flyway, an undo file belongs to the versioned file of the same version, whatever its name.
        return { version: m[2], name: m[3], role: m[1] === 'V' ? 'up' : 'down', pairKey: versionId(m[2]) };
    },
    sections: separateFiles,
    noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
    template: (name) => `-- Migration ${name}\n\n`,
    fileNames: 'V<version>__<name>.sql',
};
/** A repeatable migration's identity in the tracking table: Flyway's script name without ".sql". */
function repeatableVersion(name) {
    return `R__${name}`;
}
/** True for the identity of a repeatable migration (a tracking row's version, a MigrationFile's). */
function isRepeatableVersion(version) {
    return version.startsWith('R__');
}

;// CONCATENATED MODULE: ./src/files/forms/goose.ts
// goose (pressly/goose): `<version>_<name>.sql` — dbmate's names, so a file is goose when it holds goose
// annotations. Read as goose's SQL parser reads them (internal/sqlparser/parser.go): an annotation is a
// line that starts with "--" (no indentation), then "+goose" and the command, in any case; Up comes
// first, Down after it; StatementBegin/StatementEnd enclose text that runs as one statement; NO
// TRANSACTION anywhere takes the whole file out of a transaction.


const KNOWN = new Set(['up', 'down', 'statementbegin', 'statementend', 'no transaction', 'envsub on', 'envsub off']);
/** The command of a goose annotation line ("up", "no transaction"), lower case; undefined for any other line. */
function annotation(line) {
    if (!line.startsWith('--'))
        return undefined;
    const rest = line.slice(2).trim();
    if (!/^\+goose(\s|$)/i.test(rest))
        return undefined;
    return rest.slice('+goose'.length).trim().replace(/\s+/g, ' ').toLowerCase();
}
const SPELLED = {
    up: '-- +goose Up',
    down: '-- +goose Down',
    statementbegin: '-- +goose StatementBegin',
    statementend: '-- +goose StatementEnd',
};
function goose_sections(path, text) {
    const lines = text.split('\n');
    let up;
    let down;
    let open;
    let transaction = true;
    let firstContent;
    let any = false;
    let badDirective;
    const blocks = [];
    const fail = (i, why) => new MigrationFileError(path, i + 1, why);
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i].trimEnd();
        const command = annotation(line);
        if (command === undefined) {
            if (annotation(line.trim()) !== undefined)
                throw indentedMarkerError(path, i + 1, line, 'goose');
            const trimmed = line.trim();
            // Wrong only in a goose file: a file without annotations is read by the next form (plain takes it).
            const d = trimmed.match(PGSHIFT_DIRECTIVE);
            if (d && !LINT_DIRECTIVES.has(d[1]))
                badDirective ??= i;
            if (up === undefined && firstContent === undefined && trimmed !== '' && !trimmed.startsWith('--'))
                firstContent = i;
            continue;
        }
        any = true;
        switch (command) {
            case 'up':
                if (up !== undefined)
                    throw fail(i, `a second "-- +goose Up" (the first is on line ${up + 1}). Keep one Up section per file.`);
                if (firstContent !== undefined)
                    throw fail(firstContent, `text before "-- +goose Up" (line ${i + 1}) belongs to no section, and goose refuses it. Move it below the annotation or delete it.`);
                up = i;
                break;
            case 'down':
                if (up === undefined)
                    throw fail(i, '"-- +goose Down" with no "-- +goose Up" before it. Add "-- +goose Up" above the up SQL.');
                if (down !== undefined)
                    throw fail(i, `a second "-- +goose Down" (the first is on line ${down + 1}). Keep one Down section per file.`);
                if (open !== undefined)
                    throw fail(open, '"-- +goose StatementBegin" is not closed before "-- +goose Down". Add "-- +goose StatementEnd" after the statement.');
                down = i;
                break;
            case 'statementbegin':
                if (up === undefined)
                    throw fail(i, '"-- +goose StatementBegin" before "-- +goose Up". Put it inside the Up or Down section.');
                if (open !== undefined)
                    throw fail(i, `"-- +goose StatementBegin" inside another one (line ${open + 1}). Close the first with "-- +goose StatementEnd".`);
                open = i;
                break;
            case 'statementend':
                if (open === undefined)
                    throw fail(i, '"-- +goose StatementEnd" with no "-- +goose StatementBegin" before it. Add the StatementBegin above the statement, or delete this line.');
                blocks.push({ from: open + 1, to: i });
                open = undefined;
                break;
            case 'no transaction':
                transaction = false;
                break;
            default:
                if (command.startsWith('envsub'))
                    throw fail(i, `"${line}": pgshift does not substitute environment variables into SQL (goose's ENVSUB). Write the values into the file, or keep applying this migration with goose.`);
                throw fail(i, `"${line}" is not a goose annotation${KNOWN.has(command) ? '' : ` (goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION)`}. Fix the spelling or make it a plain comment.`);
        }
    }
    if (!any)
        return undefined;
    if (badDirective !== undefined)
        throw fail(badDirective, `unknown directive "${lines[badDirective].trim()}". In a goose file, write "-- +goose NO TRANSACTION" to run it outside a transaction.`);
    if (up === undefined)
        throw new MigrationFileError(path, undefined, 'goose annotations but no "-- +goose Up". Add it above the up SQL.');
    if (open !== undefined)
        throw fail(open, '"-- +goose StatementBegin" is never closed. Add "-- +goose StatementEnd" after the statement.');
    return splitAtMarkers(lines, up, down, (from, to) => sectionOf(lines, blocks, path, from, to, transaction));
}
const goose = {
    id: 'goose',
    tool: 'goose',
    addDown: 'Add a "-- +goose Down" section (left empty if there is nothing to undo)',
    readsNamesOf: 'dbmate',
    claims: () => undefined,
    marker: (text) => firstLine(text, (line) => annotation(line.trimEnd()) !== undefined),
    sections: goose_sections,
    noTransactionHeader: () => ({ line: '-- +goose NO TRANSACTION', isSectionHeader: false }),
    template: () => `${SPELLED.up}\n\n\n${SPELLED.down}\n\n`,
};

;// CONCATENATED MODULE: ./src/files/forms/node-pg-migrate.ts
// node-pg-migrate SQL migrations: `<timestamp>_<name>.sql` (dbmate's names) split by a "-- Up Migration"
// and a "-- Down Migration" comment, matched as src/sqlMigration.ts matches them: a line that starts,
// after any white space, with "--", then spaces or dashes, then "up"/"down", white space and
// "migration", in any case. No down comment: no down. node-pg-migrate runs each migration in a
// transaction; a SQL file has no way to say otherwise, so "-- pgshift:no-transaction" above the up
// comment does (for both sections).


const UP = /^\s*--[\s-]*up\s+migration/i;
const DOWN = /^\s*--[\s-]*down\s+migration/i;
function node_pg_migrate_sections(path, text) {
    const lines = text.split('\n');
    // node-pg-migrate takes the first match of each (String.search).
    const up = lines.findIndex((l) => UP.test(l));
    const down = lines.findIndex((l) => DOWN.test(l));
    if (up < 0 && down < 0)
        return undefined;
    if (up < 0)
        throw new MigrationFileError(path, down + 1, `"${lines[down].trim()}" with no "-- Up Migration" before it: node-pg-migrate would run the whole file, this down section included, as the up migration. Add "-- Up Migration" above the up SQL.`);
    if (down >= 0 && down < up)
        throw new MigrationFileError(path, down + 1, `"${lines[down].trim()}" comes before "${lines[up].trim()}" (line ${up + 1}). Put the up section first.`);
    let transaction = true;
    for (let i = 0; i < up; i++) {
        const trimmed = lines[i].trim();
        const d = trimmed.match(PGSHIFT_DIRECTIVE);
        if (d && d[1] === 'no-transaction' && d[2].trim() === '')
            transaction = false;
        else if (d && !LINT_DIRECTIVES.has(d[1]))
            throw new MigrationFileError(path, i + 1, `unknown directive "${trimmed}". pgshift knows "${NO_TRANSACTION_LINE}" and "-- pgshift:ignore <rule>".`);
        else if (trimmed !== '' && !trimmed.startsWith('--'))
            throw new MigrationFileError(path, i + 1, `text before "${lines[up].trim()}" (line ${up + 1}) belongs to no section: node-pg-migrate never runs it. Move it below that line or delete it.`);
    }
    return splitAtMarkers(lines, up, down < 0 ? undefined : down, (from, to) => sectionOf(lines, [], path, from, to, transaction));
}
const nodePgMigrate = {
    id: 'node-pg-migrate',
    tool: 'node-pg-migrate',
    addDown: 'Add a "-- Down Migration" section (left empty if there is nothing to undo)',
    readsNamesOf: 'dbmate',
    claims: () => undefined,
    marker: (text) => firstLine(text, (line) => UP.test(line) || DOWN.test(line)),
    sections: node_pg_migrate_sections,
    noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
    template: () => '-- Up Migration\n\n\n-- Down Migration\n\n',
};

;// CONCATENATED MODULE: ./src/files/forms/pair.ts
// Pair: `<version>_<name>.up.sql` with an optional `<version>_<name>.down.sql` next to it.


const pair_NAME = /^(\d+)_(.+)\.(up|down)\.sql$/i;
const pair = {
    id: 'pair',
    tool: 'golang-migrate',
    addDown: 'Add a <version>_<name>.down.sql file next to it (an empty one if there is nothing to undo)',
    claims(fileName) {
        const m = fileName.match(pair_NAME);
        if (!m)
            return undefined;
        // The down file belongs to the up file of the same version and name.
        const pairKey = `${versionId(m[1])}/${m[2]}`;
        return { version: m[1], name: m[2], role: m[3].toLowerCase() === 'up' ? 'up' : 'down', pairKey };
    },
    sections: separateFiles,
    noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
    template: (name) => `-- Migration ${name}\n\n`,
    fileNames: '<version>_<name>.up.sql/.down.sql',
};

;// CONCATENATED MODULE: ./src/files/forms/plain.ts


const plain = {
    id: 'plain',
    tool: 'plain SQL',
    readsNamesOf: 'dbmate',
    addDown: 'A plain file has no down: add "-- migrate:up" above its SQL and a "-- migrate:down" section below it (dbmate form)',
    claims: (fileName) => dbmate.claims(fileName),
    sections: separateFiles,
    noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
    template: (name) => `-- Migration ${name}\n\n`,
};

;// CONCATENATED MODULE: ./src/files/forms/prisma.ts
// Prisma Migrate: a folder per migration, `<timestamp>_<name>/migration.sql`, next to a
// `migration_lock.toml` (not SQL, never read). Prisma has no down migrations. Discovery looks one level
// into folders for their migration.sql and names the file "<folder>/migration.sql" here.


const prisma_NAME = /^(\d+)_([^/]+)\/migration\.sql$/;
const prisma = {
    id: 'prisma',
    tool: 'Prisma',
    addDown: 'Prisma migrations have no down: roll forward with a new migration instead',
    claims(fileName) {
        const m = fileName.match(prisma_NAME);
        return m ? { version: m[1], name: m[2], role: 'up' } : undefined;
    },
    sections: (path, text) => separateFiles(path, text),
    // Prisma sends migration.sql as one query: Postgres runs several statements as one implicit
    // transaction, but a lone statement outside any, so a file that is only CREATE INDEX CONCURRENTLY
    // (or another statement that cannot run in a transaction) works there, and so it does here.
    outsideTransaction: (statements) => (statements.length === 1 && flywayRunsOutsideTransaction(statements[0]) ? statements[0] : undefined),
    noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
    template: (name) => `-- Migration ${name}\n\n`,
    fileNames: '<timestamp>_<name>/migration.sql',
};

;// CONCATENATED MODULE: ./src/files/forms/sql-migrate.ts
// sql-migrate (rubenv/sql-migrate): any `*.sql` name, ordered by its leading number (VersionInt), with
// `-- +migrate Up [notransaction]` / `-- +migrate Down [notransaction]` and StatementBegin/StatementEnd,
// read as sqlparse/sqlparse.go reads them: a command is a line that starts with exactly "-- +migrate ",
// case and spacing as written. A `<version>_<name>.sql` name is dbmate's, so such a file is sql-migrate
// when it holds these markers; any other .sql name is looked at (peek) only when no form claims it.


const PREFIX = '-- +migrate ';
const COMMANDS = ['Up', 'Down', 'StatementBegin', 'StatementEnd'];
/** A line meant as a command, in any case or spacing ("--+migrate up", "  -- +Migrate Down"). */
const LOOSE = /^\s*--\s*\+migrate\b\s*(\S*)(.*)$/i;
/** The command and its options, for a line sql-migrate reads as one. */
function command(line) {
    if (!line.startsWith(PREFIX))
        return undefined;
    const [name, ...options] = line.slice(PREFIX.length).trim().split(/\s+/);
    return COMMANDS.includes(name) ? { name, options } : undefined;
}
/** The right spelling of a line that is a command in all but case or spacing, or undefined. */
function nearMiss(line) {
    if (command(line.trimEnd()))
        return undefined;
    const m = line.match(LOOSE);
    if (!m)
        return undefined;
    const name = COMMANDS.find((c) => c.toLowerCase() === m[1].toLowerCase());
    // An unknown command is a line sql-migrate skips: name the ones it knows.
    return name ? `${PREFIX}${name}${m[2].trim() ? ` ${m[2].trim()}` : ''}` : `${PREFIX}Up", "${PREFIX}Down", "${PREFIX}StatementBegin" or "${PREFIX}StatementEnd`;
}
function sql_migrate_sections(path, text) {
    const lines = text.split('\n');
    let up;
    let down;
    let open;
    let firstContent;
    let any = false;
    let badDirective;
    const blocks = [];
    const fail = (i, why) => new MigrationFileError(path, i + 1, why);
    const options = (i, given) => {
        for (const o of given)
            if (o !== 'notransaction')
                throw fail(i, `unknown option "${o}" on "${lines[i].trim()}". The only option is notransaction.`);
        return !given.includes('notransaction');
    };
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i].trimEnd();
        const c = command(line);
        if (!c) {
            const right = nearMiss(line);
            if (right)
                throw fail(i, `"${line.trim()}" is not a sql-migrate command: sql-migrate reads "-- +migrate " at the start of the line, then Up, Down, StatementBegin or StatementEnd as written. Write "${right}"; as it stands the line is a comment and the file would not be split there.`);
            const trimmed = line.trim();
            // Wrong only in a sql-migrate file: a file without its markers is read by the next form.
            const d = trimmed.match(PGSHIFT_DIRECTIVE);
            if (d && !LINT_DIRECTIVES.has(d[1]))
                badDirective ??= i;
            if (!up && firstContent === undefined && trimmed !== '' && !trimmed.startsWith('--'))
                firstContent = i;
            continue;
        }
        any = true;
        switch (c.name) {
            case 'Up':
                if (up)
                    throw fail(i, `a second "-- +migrate Up" (the first is on line ${up.line + 1}). pgshift reads one Up section per file: merge them.`);
                if (down)
                    throw fail(i, `"-- +migrate Up" after "-- +migrate Down" (line ${down.line + 1}). Put the Up section first.`);
                if (firstContent !== undefined)
                    throw fail(firstContent, `text before "-- +migrate Up" (line ${i + 1}) belongs to no section: sql-migrate never runs it. Move it below the marker or delete it.`);
                up = { line: i, transaction: options(i, c.options) };
                break;
            case 'Down':
                if (!up)
                    throw fail(i, '"-- +migrate Down" with no "-- +migrate Up" before it. Put the Up section first.');
                if (down)
                    throw fail(i, `a second "-- +migrate Down" (the first is on line ${down.line + 1}). pgshift reads one Down section per file: merge them.`);
                if (open !== undefined)
                    throw fail(open, '"-- +migrate StatementBegin" is not closed before "-- +migrate Down". Add "-- +migrate StatementEnd" after the statement.');
                down = { line: i, transaction: options(i, c.options) };
                break;
            case 'StatementBegin':
                if (!up)
                    throw fail(i, '"-- +migrate StatementBegin" before "-- +migrate Up". Put it inside the Up or Down section.');
                if (open !== undefined)
                    throw fail(i, `"-- +migrate StatementBegin" inside another one (line ${open + 1}). Close the first with "-- +migrate StatementEnd".`);
                open = i;
                break;
            default:
                if (open === undefined)
                    throw fail(i, '"-- +migrate StatementEnd" with no "-- +migrate StatementBegin" before it. Add the StatementBegin above the statement, or delete this line.');
                blocks.push({ from: open + 1, to: i });
                open = undefined;
        }
    }
    if (!any)
        return undefined;
    if (badDirective !== undefined)
        throw fail(badDirective, `unknown directive "${lines[badDirective].trim()}". In a sql-migrate file, write "-- +migrate Up notransaction" to run it outside a transaction.`);
    if (!up)
        throw new MigrationFileError(path, undefined, 'sql-migrate markers but no "-- +migrate Up". Add it above the up SQL.');
    if (open !== undefined)
        throw fail(open, '"-- +migrate StatementBegin" is never closed: sql-migrate refuses such a file. Add "-- +migrate StatementEnd" after the statement.');
    const header = { up, down };
    return splitAtMarkers(lines, up.line, down?.line, (from, to, direction) => sectionOf(lines, blocks, path, from, to, header[direction].transaction));
}
const marker = (text) => firstLine(text, (line) => command(line.trimEnd()) !== undefined);
const sqlMigrate = {
    id: 'sql-migrate',
    tool: 'sql-migrate',
    addDown: 'Add a "-- +migrate Down" section (left empty if there is nothing to undo)',
    readsNamesOf: 'dbmate',
    // Its `<version>_<name>.sql` names are claimed as dbmate's; its other names only by peek().
    claims: () => undefined,
    peek(fileName, text) {
        if (!fileName.endsWith('.sql') || fileName.includes('/'))
            return undefined;
        const found = marker(text());
        if (!found)
            return undefined;
        // sql-migrate's version is the leading number of the whole name ("^(\d+).*$", VersionInt).
        const m = fileName.match(/^(\d+)(.*)\.sql$/);
        if (!m)
            throw new MigrationFileError(fileName, found.line, `a sql-migrate migration whose name does not start with a number. sql-migrate runs such files after every numbered one, by name; pgshift orders migrations by version only, so it cannot place this one. Rename it to <number>_<name>.sql.`);
        const name = m[2].replace(/^[-_.\s]+/, '') || m[1];
        return { version: m[1], name, role: 'up' };
    },
    marker,
    sections: sql_migrate_sections,
    noTransactionHeader: (direction) => ({ line: `-- +migrate ${direction === 'up' ? 'Up' : 'Down'} notransaction`, isSectionHeader: true }),
    template: () => '-- +migrate Up\n\n\n-- +migrate Down\n\n',
};

;// CONCATENATED MODULE: ./src/files/forms/index.ts
// The file forms pgshift knows, in order. The order is the precedence: discovery gives a file to the
// first form that claims its name (pair before dbmate: "1_a.up.sql" is a dbmate name too), and a form
// that declines a file's text hands it to the next one (dbmate to plain). Adding a form is a file in
// this folder and a line here.








// goose, sql-migrate and node-pg-migrate share dbmate's names and come between dbmate and plain: each
// declines a text without its markers, and plain, last, takes a file with none.
/** Mutable only so that a test can register a form of its own for its duration. */
const FORMS = [pair, flyway, prisma, dbmate, goose, sqlMigrate, nodePgMigrate, plain];
/** Named first in the hint for a file no form claims: its names are the ones `pgshift new` writes. */
const DEFAULT_FORM = 'dbmate';
function formById(id) {
    const form = FORMS.find((f) => f.id === id);
    if (!form)
        throw new Error(`internal: no file form "${id}" is registered`);
    return form;
}
/** The first form that claims the file name, with what the name says. */
function claimName(fileName) {
    for (const form of FORMS) {
        const named = form.claims(fileName);
        if (named)
            return { form, named };
    }
    return undefined;
}
/** The form whose names a form's files carry: its own id, or the one it shares names with. */
function familyOf(form) {
    return form.readsNamesOf ?? form.id;
}
/** The tool a form comes from, as messages name it. */
function toolOf(form) {
    return form.tool ?? form.id;
}
/** The first marker of each form that has one in the text, in registry order. */
function markersIn(text) {
    const out = [];
    for (const form of FORMS) {
        const m = form.marker?.(text);
        if (m)
            out.push({ form, ...m });
    }
    return out;
}
/** For a .sql name no form claims: the form that claims the file from its text, if any. */
function claimText(fileName, text) {
    for (const form of FORMS) {
        const named = form.peek?.(fileName, text);
        if (named)
            return { form, named };
    }
    return undefined;
}

;// CONCATENATED MODULE: ./src/sql/position.ts
// Maps character offsets in a section to file lines and columns, and draws the caret excerpt that
// error reports show under the failing spot.
/** Offsets at which each line of `text` starts. */
function lineStarts(text) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1))
        starts.push(i + 1);
    return starts;
}
const SURROGATE = /[\ud800-\udfff]/;
/** True when some character of `text` takes two UTF-16 units (an emoji, say). */
function hasAstral(text) {
    return SURROGATE.test(text);
}
/**
 * The string index `count` characters after `from`. Postgres counts positions in characters (code
 * points) while JS strings index UTF-16 units: they differ after an emoji or other astral character.
 */
function codePointIndex(text, count, from = 0) {
    if (!hasAstral(text))
        return Math.min(text.length, from + count);
    let i = from;
    for (let n = 0; n < count && i < text.length; n++) {
        const c = text.charCodeAt(i);
        i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    }
    return i;
}
/**
 * 1-based file line and column of a 0-based offset (string index) into a section starting on
 * `startLine`. The column counts characters (code points), as Postgres does, not UTF-16 units: pass
 * the section's text when it has astral characters (`hasAstral`), so a long section is scanned once.
 */
function locate(starts, startLine, offset, text) {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= offset)
            lo = mid;
        else
            hi = mid - 1;
    }
    const before = text !== undefined ? [...text.slice(starts[lo], offset)].length : offset - starts[lo];
    return { line: startLine + lo, column: before + 1 };
}
/**
 * The statement's lines around `offset` (0-based, within the statement), each prefixed with its file
 * line number, with a caret under the spot. Long statements keep two lines either side.
 */
function caretExcerpt(statement, statementLine, offset) {
    const lines = statement.split('\n');
    const starts = lineStarts(statement);
    const at = offset === undefined ? undefined : locate(starts, 0, Math.max(0, Math.min(offset, statement.length)), hasAstral(statement) ? statement : undefined);
    const focus = at?.line ?? 0;
    const from = Math.max(0, focus - 2);
    const to = Math.min(lines.length, focus + 3);
    const width = String(statementLine + to).length;
    const out = [];
    for (let i = from; i < to; i++) {
        out.push(`${String(statementLine + i).padStart(width)} | ${lines[i]}`);
        if (at && i === focus) {
            out.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, at.column - 1))}^`);
        }
    }
    if (to < lines.length)
        out.push(`${' '.repeat(width)} | …`);
    return out.join('\n');
}

;// CONCATENATED MODULE: ./src/execute/failure.ts
// Turns a Postgres error into a MigrationError that points at the file, line and column: the server's
// `position` is a 1-based character offset into the statement sent, and each statement knows its
// offset in the section and the section its first line in the file.


/** pgshift's own hint for errors with a known cure. */
function extraHint(code, step) {
    if (code === '25001' && step.transactional) {
        if (step.direction === 'down') {
            // A rollback cannot be split into a migration of its own: its section runs without a transaction.
            const header = formById(step.migration.form).noTransactionHeader('down');
            return `this statement cannot run inside a transaction: run the down section without one, ${header.isSectionHeader ? 'with the header' : 'starting its file with the line'} "${header.line}"`;
        }
        // A migration of its own: the statement goes in that migration's up section.
        const header = formById(step.migration.form).noTransactionHeader('up');
        return `this statement cannot run inside a transaction: put it in its own migration ${header.isSectionHeader ? 'whose header reads' : 'that starts with'} "${header.line}"`;
    }
    if (code === '55P03')
        return 'another session held a lock this migration needed; pgshift retried with backoff. Retry off-peak, or raise --lock-timeout / --lock-retries';
    if (code === '57014')
        return 'the statement ran past --statement-timeout, or the run was interrupted';
    return undefined;
}
function toMigrationError(step, statementIndex, err, outcome, redactor) {
    const e = (err ?? {});
    const stmt = statementIndex >= 0 ? step.statements[statementIndex] : undefined;
    // The server's position counts characters (code points); statement offsets are string indexes.
    const pos = stmt && e.position !== undefined && e.position !== '' ? codePointIndex(stmt.sql, Number(e.position) - 1) : undefined;
    const { sql } = step.section;
    const at = stmt && pos !== undefined
        ? locate(lineStarts(sql), step.section.startLine, stmt.offset + pos, hasAstral(sql) ? sql : undefined)
        : stmt
            ? { line: stmt.line, column: stmt.column }
            : { line: step.section.startLine, column: 1 };
    const hints = [e.hint, extraHint(e.code, step)].filter(Boolean).join('; ');
    return {
        version: step.migration.version,
        name: step.migration.name,
        path: step.section.path,
        direction: step.direction,
        line: at.line,
        column: at.column,
        statementNumber: statementIndex + 1,
        statement: redactor.redact(stmt?.sql ?? ''),
        excerpt: redactor.redact(stmt ? caretExcerpt(stmt.sql, stmt.line, pos) : ''),
        code: e.code,
        message: redactor.redact(e.message ?? String(err)),
        detail: e.detail ? redactor.redact(e.detail) : undefined,
        hint: hints ? redactor.redact(hints) : undefined,
        outcome,
    };
}
/** One line for the tracking tables' error_message. */
function errorSummary(f) {
    return `statement ${f.statementNumber} at ${f.path.split('/').pop()}:${f.line}:${f.column}: ${f.code ? `${f.code} ` : ''}${f.message}`;
}
/**
 * The connection ended while `step` ran. `statementIndex`: the statement that had not answered yet
 * (-1: before the first one); `committing`: every statement had answered and the COMMIT had not.
 * The outcome is provisional until somebody looks at the database again (commands/migrate.ts).
 */
function lostConnectionError(step, statementIndex, reason, code, committing, redactor) {
    const at = committing ? 'after its last statement, while committing' : statementIndex < 0 ? 'before its first statement' : `during statement ${statementIndex + 1}`;
    const error = toMigrationError(step, statementIndex, { code, message: `the connection to Postgres was lost ${at}: ${reason}` }, step.transactional ? 'unknown' : 'failed-needs-resolve', redactor);
    // Without a SQLSTATE of the server's, there is no hint to give about the statement itself.
    if (!code)
        error.hint = undefined;
    error.connectionLost = redactor.redact(reason);
    return error;
}

;// CONCATENATED MODULE: ./src/execute/run.ts





/**
 * A query in the extended protocol, with no parameters. postgres.js sends a query without parameters as a
 * simple Query message by default, and one with parameters waits for a Describe the first time its text is
 * seen; either way a pipeline mixing them stops at each such query to wait for an answer. Every query of a
 * migration's pipeline goes this way, its values written in as literals (inline()).
 */
function extended(sql, text) {
    // `simple` is a documented option of unsafe() that postgres.js's types leave out.
    return sql.unsafe(text, [], { simple: false });
}
/** A Postgres string literal, right whatever standard_conforming_strings says. */
function literal(v) {
    if (v === null)
        return 'null';
    if (typeof v !== 'string')
        return String(v);
    const quoted = `'${v.replace(/'/g, "''")}'`;
    return v.includes('\\') ? `E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}
/** `text` with each $n replaced by the literal of params[n-1]: no parameter, so no Describe round trip. */
function inline(q) {
    return q.text.replace(/\$(\d+)/g, (_m, n) => literal(q.params[Number(n) - 1]));
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LOCK_NOT_AVAILABLE = '55P03';
/** Queues a step's SQL (and its tracking rows) on the pipeline; `settle` waits for all of it. */
function queueStep(sql, o, step, parts) {
    const first = parts.length;
    for (const s of step.statements)
        parts.push(statementQuery(sql, s));
    const record = o.tracking.recordSuccess(trackingStep(step), null, o.actor, o.environment);
    // As the user pgshift connected as: a migration may SET ROLE to a role that owns its objects but may
    // not write the tracking tables. In the transaction, so a rollback undoes it with the rest.
    parts.push(extended(sql, 'set session authorization default'));
    // Its values as literals: a parameter would make postgres.js wait for a Describe, splitting the pipeline.
    parts.push(extended(sql, inline(record)));
    return { first };
}
function timeoutQueries(sql, o, local) {
    const q = [extended(sql, inline({ text: `select set_config('lock_timeout', $1, $2)`, params: [o.lockTimeout, local] }))];
    if (o.statementTimeout)
        q.push(extended(sql, inline({ text: `select set_config('statement_timeout', $1, $2)`, params: [o.statementTimeout, local] })));
    return q;
}
/** How long an unanswered cancel request is given to reach the server before the run goes on. */
const CANCEL_GRACE_MS = 200;
/** Ends a transaction's pipeline with COMMIT and the session reset: what settled up to the COMMIT, and the reset's own results. */
async function commitThenReset(sql, parts, signal) {
    parts.push(extended(sql, 'commit'));
    const resetAt = parts.length;
    parts.push(...resetQueries(sql));
    const all = await settle(parts, signal);
    return { settled: all.slice(0, resetAt), resets: all.slice(resetAt) };
}
/**
 * Sends every part in order; if the run is interrupted, cancels the statement running now, and only
 * that one. In a transaction the rest then fail on their own (25P02) and COMMIT becomes ROLLBACK.
 * Cancelling the queued parts too is wrong twice over: postgres.js sends a cancel request for each
 * queued query as it comes up and stops tracking it, so those promises never settle and the run
 * hangs; and each request lands on whatever the session runs next (the failure's history row, the
 * unlock).
 */
async function settle(parts, signal) {
    return dispatch(parts, signal).all;
}
/** Sends every part now (see settle); `all` settles once every part has, each part's own promise as it answers. */
function dispatch(parts, signal) {
    return { all: dispatched(parts, signal) };
}
async function dispatched(parts, signal) {
    const pending = new Set(parts);
    let sent = false;
    let timer;
    const cancel = () => {
        // postgres.js marks the query on the wire `active`; between two queries none is, so look again.
        const running = parts.find((p) => pending.has(p) && p.active);
        if (running) {
            sent = true;
            running.cancel();
        }
        else if (pending.size)
            timer = setTimeout(cancel, 5);
    };
    signal?.addEventListener('abort', cancel, { once: true });
    try {
        for (const p of parts)
            p.execute();
        for (const p of parts)
            p.then(() => pending.delete(p), () => pending.delete(p));
        if (signal?.aborted)
            cancel();
        const results = await Promise.allSettled(parts);
        // A cancel request that cancelled nothing may still be on its way: left alone, it would cancel
        // the next statement sent. Once the server is idle it is dropped, so give it a moment to arrive.
        const consumed = results.some((r) => r.status === 'rejected' && r.reason?.code === '57014');
        if (sent && !consumed)
            await sleep(CANCEL_GRACE_MS);
        return results;
    }
    finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
    }
}
function firstFailure(results, from, statements) {
    for (let i = 0; i < results.length; i++) {
        const r = results[i];
        if (r.status === 'rejected') {
            const index = i >= from && i < from + statements ? i - from : -1;
            return { ok: false, index, error: r.reason };
        }
    }
    return { ok: true, index: -1 };
}
/** Driver errors that mean the connection ended, whoever noticed first. */
const LOSS_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/**
 * Whether a failure is the connection ending under the step rather than its SQL. Once it is, the
 * lifeline refuses every further query: nothing more is sent to a connection that is gone.
 */
function connectionLost(o, err) {
    const code = err?.code;
    if (code && LOSS_CODES.has(code))
        o.lifeline.ended(`the connection broke (${err.message})`);
    return o.lifeline.lost || err instanceof ConnectionLostError;
}
/** Where in a step's pipeline the first unanswered part was: before, in, or after its statements. */
function positionOf(failedPart, first, statements) {
    if (failedPart < first)
        return { statement: -1, committing: false };
    if (failedPart < first + statements)
        return { statement: failedPart - first, committing: false };
    return { statement: statements - 1, committing: true };
}
function lostStep(step, o, at, started) {
    const error = lostConnectionError(step, at.statement, o.lifeline.reason, o.lifeline.code, at.committing, o.redactor);
    return { result: stepResult(step, 'failed', performance.now() - started, 1), error };
}
/** A step, and if the connection ends under it, that as its failure: no tracking write is possible. */
async function runStep(step, o, firstAttempt = 1) {
    const started = performance.now();
    const at = { statement: -1, committing: false };
    try {
        return step.transactional ? await runTransactional(step, o, at, firstAttempt) : await runNonTransactional(step, o, at);
    }
    catch (err) {
        if (err instanceof AbortedError || !connectionLost(o, err))
            throw err;
        return lostStep(step, o, at, started);
    }
}
async function executePlan(steps, o) {
    return o.singleTransaction ? runBatch(steps, o) : runEach(steps, o);
}
/** At most this many migrations, and about this much SQL, are in flight at once: memory stays flat at any count. */
const WINDOW_STEPS = 64;
const WINDOW_BYTES = 4 * 1024 * 1024;
/**
 * A step that must not share a pipeline with the one after it: outside a transaction, or one that
 * PREPAREs a statement (its name is only freed once the reset after it has been read).
 */
const barrier = (step) => !step.transactional || step.statements.some((st) => st.kind === 'PrepareStmt');
/** The next window: consecutive transactional steps from `from`, within the bounds, ending at a barrier. */
function windowFrom(steps, from) {
    let bytes = 0;
    let end = from;
    while (end < steps.length && end - from < WINDOW_STEPS) {
        const step = steps[end];
        bytes += step.section.sql.length;
        if (end > from && (!step.transactional || bytes > WINDOW_BYTES))
            break;
        end++;
        if (barrier(step))
            break;
    }
    return steps.slice(from, end);
}
async function runEach(steps, o) {
    const results = [];
    let i = 0;
    while (i < steps.length) {
        if (o.signal?.aborted)
            throw new AbortedError('interrupted before migration ' + steps[i].migration.version + '; nothing of it ran');
        const window = windowFrom(steps, i);
        const outcome = window.length > 1 ? await runWindow(window, o, i, steps.length) : await runOne(window[0], o, i, steps.length);
        results.push(...outcome.steps);
        if (outcome.error) {
            const step = steps[i + outcome.steps.length - 1];
            o.onEvent?.({ type: 'step-failed', step, error: outcome.error });
            if (o.signal?.aborted)
                throw new AbortedError(`interrupted: migration ${step.migration.version} was ${outcome.error.outcome === 'rolled-back' ? 'rolled back' : 'stopped and marked failed'}`);
            return { steps: results, error: outcome.error };
        }
        i += outcome.steps.length;
    }
    return { steps: results };
}
/**
 * The step of a window whose pipeline failed (`bad`: its first rejected part, counted from its BEGIN):
 * its connection lost, its lock timeout retried on its own, or its failure recorded as for one step.
 */
async function failedInWindow(span, bad, settled, resets, o, ms, index, total) {
    const { sql } = o;
    const { step } = span;
    const first = span.first - span.begin;
    const reason = settled[bad].reason;
    if (connectionLost(o, reason)) {
        const { result, error } = lostStep(step, o, positionOf(bad, first, step.statements.length), performance.now() - ms);
        return { steps: [result], error };
    }
    await finishReset(sql, o, `migration ${step.migration.version}`, resets);
    const failure = firstFailure(settled, first, step.statements.length);
    const code = failure.error?.code;
    if (code === LOCK_NOT_AVAILABLE && o.lockRetries >= 1 && !o.signal?.aborted) {
        const delayMs = o.retryDelayMs ?? 1000;
        o.onEvent?.({ type: 'step-retry', step, attempt: 1, delayMs, message: o.redactor.redact(failure.error.message) });
        await pause(delayMs, o.signal);
        if (!o.signal?.aborted)
            return runOne(step, o, index, total, 2);
    }
    await sql.unsafe('rollback').catch(() => { });
    const error = toMigrationError(step, failure.index, failure.error, 'rolled-back', o.redactor);
    await o.tracking.recordFailure(sql, trackingStep(step), ms, errorSummary(error), o.actor, o.environment);
    return { steps: [stepResult(step, 'failed', ms, 1)], error };
}
/** One step on its own (a barrier, or the last of a run), as before pipelining: with its retries. */
async function runOne(step, o, index, total, firstAttempt = 1) {
    if (firstAttempt === 1)
        o.onEvent?.({ type: 'step-start', step, index, total });
    const outcome = await runStep(step, o, firstAttempt);
    if (!outcome.error)
        o.onEvent?.({ type: 'step-done', step, result: outcome.result });
    return { steps: [outcome.result], error: outcome.error };
}
/**
 * Several transactional steps in one pipeline. Results are read in order as they arrive, each step
 * reported with its duration; the first that fails stops the reading: the ones behind it were refused
 * by the server (their guard) and are not run. A lock timeout is retried from that step on its own.
 */
async function runWindow(window, o, offset, total) {
    const { sql } = o;
    const parts = [];
    const spans = [];
    window.forEach((step, k) => {
        const begin = parts.length;
        parts.push(extended(sql, 'begin'), ...timeoutQueries(sql, o, true));
        if (k > 0)
            parts.push(extended(sql, inline(o.tracking.guardAfter({ version: window[k - 1].migration.version, direction: window[k - 1].direction }))));
        const { first } = queueStep(sql, o, step, parts);
        parts.push(extended(sql, 'commit'));
        const resetAt = parts.length;
        parts.push(...resetQueries(sql));
        spans.push({ step, begin, first, resetAt, end: parts.length });
    });
    const results = [];
    let last = performance.now();
    o.onEvent?.({ type: 'step-start', step: window[0], index: offset, total });
    const { all } = dispatch(parts, o.signal);
    for (let k = 0; k < spans.length; k++) {
        const span = spans[k];
        const settled = await Promise.allSettled(parts.slice(span.begin, span.resetAt));
        const bad = settled.findIndex((r) => r.status === 'rejected');
        if (bad >= 0) {
            // The steps behind it are answered too (refused by their guards) before anything else is sent.
            const everything = await all;
            const failed = await failedInWindow(span, bad, settled, everything.slice(span.resetAt, span.end), o, performance.now() - last, offset + k, total);
            return { steps: [...results, ...failed.steps], error: failed.error };
        }
        const now = performance.now();
        const result = stepResult(span.step, span.step.direction === 'up' ? 'applied' : 'rolled-back', now - last, 1);
        last = now;
        results.push(result);
        await finishReset(sql, o, `migration ${span.step.migration.version}`, await Promise.allSettled(parts.slice(span.resetAt, span.end)));
        o.onEvent?.({ type: 'step-done', step: span.step, result });
        if (k + 1 < spans.length)
            o.onEvent?.({ type: 'step-start', step: spans[k + 1].step, index: offset + k + 1, total });
    }
    await all;
    return { steps: results };
}
function stepResult(step, status, durationMs, attempts) {
    return {
        version: step.migration.version,
        name: step.migration.name,
        path: step.section.path,
        direction: step.direction,
        status,
        durationMs: Math.round(durationMs),
        attempts,
    };
}
async function runTransactional(step, o, at, firstAttempt = 1) {
    const { sql } = o;
    const started = performance.now();
    for (let attempt = firstAttempt;; attempt++) {
        const parts = [extended(sql, 'begin'), ...timeoutQueries(sql, o, true)];
        const { first } = queueStep(sql, o, step, parts);
        // The reset rides on the same pipeline, after the COMMIT (or the ROLLBACK it became): no round trip.
        const { settled, resets } = await commitThenReset(sql, parts, o.signal);
        const bad = settled.findIndex((r) => r.status === 'rejected');
        if (bad >= 0 && connectionLost(o, settled[bad].reason)) {
            Object.assign(at, positionOf(bad, first, step.statements.length));
            throw new ConnectionLostError(o.lifeline.reason);
        }
        await finishReset(sql, o, `migration ${step.migration.version}`, resets);
        const failure = firstFailure(settled, first, step.statements.length);
        if (failure.ok)
            return { result: stepResult(step, step.direction === 'up' ? 'applied' : 'rolled-back', performance.now() - started, attempt) };
        const code = failure.error?.code;
        if (code === LOCK_NOT_AVAILABLE && attempt <= o.lockRetries && !o.signal?.aborted) {
            const delayMs = (o.retryDelayMs ?? 1000) * 2 ** (attempt - 1);
            o.onEvent?.({ type: 'step-retry', step, attempt, delayMs, message: o.redactor.redact(failure.error.message) });
            await pause(delayMs, o.signal);
            // Interrupted while waiting: this attempt's lock timeout is recorded as the failure below.
            if (!o.signal?.aborted)
                continue;
        }
        // The pipeline's COMMIT became a ROLLBACK; make sure, whatever failed, no transaction stays open.
        await sql.unsafe('rollback').catch(() => { });
        const error = toMigrationError(step, failure.index, failure.error, 'rolled-back', o.redactor);
        const ms = performance.now() - started;
        await o.tracking.recordFailure(sql, trackingStep(step), ms, errorSummary(error), o.actor, o.environment);
        return { result: stepResult(step, 'failed', ms, attempt), error };
    }
}
/**
 * What a migration may leave on the session, undone before the next one starts (a pg_dump file's
 * set_config('search_path', '', false), SET ROLE, a temporary table, a PREPARE, a LISTEN, a WITH HOLD
 * cursor): DISCARD ALL's parts, as its docs list them, less three. Its pg_advisory_unlock_all() would let
 * go of the migration lock. Its DEALLOCATE ALL would pull postgres.js's named statements (the tracking
 * writes) from under its cache, and the next tracking write, inside a transaction, would fail: the
 * migrations' own prepared statements are deallocated by name instead. DISCARD PLANS is left out: no
 * migration can see a cached plan (DDL and search_path changes invalidate them anyway), and it would
 * make the tracking writes plan again in every migration. RESET ALL goes back to what the connection
 * started with (application_name) and the role's defaults; pgshift's timeouts are set anew in each
 * migration.
 */
const RESET_SESSION = ['close all', 'set session authorization default', 'reset all', 'unlisten *', 'discard sequences', 'discard temp'];
/** Statements the migrations PREPAREd: postgres.js's own are made over the protocol (from_sql false). */
const SQL_PREPARED = 'select name from pg_prepared_statements where from_sql';
function resetQueries(sql) {
    // One statement each, in the extended protocol: so they ride on a pipeline without stopping it.
    return [...RESET_SESSION.map((t) => extended(sql, t)), extended(sql, SQL_PREPARED)];
}
/**
 * Completes the reset queued behind a step, once it has answered: again if it failed (a transaction the
 * file left open), then the migrations' prepared statements. Never throws, so a reset can never be taken
 * for the migration failing; one that cannot be done is a warning.
 */
async function finishReset(sql, o, after, results) {
    try {
        let prepared = results[results.length - 1];
        if (results.some((r) => r.status === 'rejected')) {
            await sql.unsafe('rollback');
            const again = await Promise.allSettled(resetQueries(sql));
            const failed = again.find((r) => r.status === 'rejected');
            if (failed)
                throw failed.reason;
            prepared = again[again.length - 1];
        }
        const names = prepared.status === 'fulfilled' ? prepared.value.map((r) => r.name) : [];
        if (names.length)
            await sql.unsafe(names.map((n) => `deallocate ${quoteIdent(n)}`).join('; ')).simple();
    }
    catch (err) {
        if (o.lifeline.lost)
            return; // the run reports the lost connection itself
        const message = o.redactor.redact(err?.message ?? String(err));
        o.onEvent?.({ type: 'warning', message: `could not reset the session after ${after} (${message}): the migrations after it may see the settings or temporary objects it left` });
    }
}
/** Resets the session now (outside the pipeline): one round trip, two with a prepared statement to drop. */
async function resetNow(sql, o, after) {
    await finishReset(sql, o, after, await Promise.allSettled(resetQueries(sql)));
}
function trackingStep(step) {
    return { version: step.migration.version, name: step.migration.name, checksum: step.migration.checksum, direction: step.direction, note: step.historyNote };
}
/**
 * A statement as a query. A StatementBegin/StatementEnd block of several statements goes as one simple
 * query, as goose and sql-migrate send it (the extended protocol takes one statement per query).
 */
function statementQuery(sql, s) {
    return s.parts ? sql.unsafe(s.sql).simple() : extended(sql, s.sql);
}
async function invalidIndexes(sql) {
    const rows = await sql `select indexrelid::regclass::text as name from pg_index where not indisvalid`;
    return new Set(rows.map((r) => r.name));
}
/**
 * `transaction:false`: statements one by one outside any transaction (CREATE INDEX CONCURRENTLY,
 * ALTER TYPE … ADD VALUE). Marked `running` first so a crash leaves a trace; a failure leaves it
 * `failed` until `pgshift resolve`, since statements before the failing one stay done.
 */
async function runNonTransactional(step, o, at) {
    const { sql } = o;
    const started = performance.now();
    const before = await invalidIndexes(sql);
    await o.tracking.markRunning(sql, trackingStep(step), o.actor);
    await settle(timeoutQueries(sql, o, false));
    // Before the tracking writes too: they run as the user pgshift connected as, whatever the file set.
    let reset = false;
    const clean = async () => {
        if (reset)
            return;
        reset = true;
        await resetNow(sql, o, `migration ${step.migration.version}`);
    };
    try {
        for (let i = 0; i < step.statements.length; i++) {
            at.statement = i;
            o.onEvent?.({ type: 'statement-start', step, statementNumber: i + 1, statementCount: step.statements.length });
            const query = statementQuery(sql, step.statements[i]);
            const [r] = await settle([query], o.signal);
            if (r.status === 'rejected' && connectionLost(o, r.reason))
                throw r.reason;
            if (r.status === 'rejected') {
                // A file's own BEGIN may have left a transaction open; end it so the tracking rows can be written.
                await sql.unsafe('rollback').catch(() => { });
                await clean();
                const error = toMigrationError(step, i, r.reason, 'failed-needs-resolve', o.redactor);
                const left = [...(await invalidIndexes(sql))].filter((n) => !before.has(n));
                if (left.length)
                    error.invalidIndex = left.join(', ');
                const ms = performance.now() - started;
                const summary = errorSummary(error) + (error.invalidIndex ? ` (left invalid index ${error.invalidIndex}: drop it before retrying)` : '');
                await o.tracking.markFailed(sql, step.migration.version, ms, summary);
                await o.tracking.recordFailure(sql, trackingStep(step), ms, summary, o.actor, o.environment);
                return { result: stepResult(step, 'failed', ms, 1), error };
            }
            if (o.signal?.aborted && i < step.statements.length - 1) {
                throw new AbortedError(`interrupted inside non-transactional migration ${step.migration.version} after statement ${i + 1}`);
            }
        }
        const ms = performance.now() - started;
        Object.assign(at, { statement: step.statements.length - 1, committing: true });
        await clean();
        const record = o.tracking.recordSuccess(trackingStep(step), ms, o.actor, o.environment);
        await extended(sql, inline(record));
        return { result: stepResult(step, step.direction === 'up' ? 'applied' : 'rolled-back', ms, 1) };
    }
    catch (err) {
        if (err instanceof AbortedError) {
            // Like any failure: the row says failed until resolved, and the attempt is in the history.
            const ms = performance.now() - started;
            await sql.unsafe('rollback').catch(() => { });
            await clean();
            await o.tracking.markFailed(sql, step.migration.version, ms, err.message).catch(() => { });
            await o.tracking.recordFailure(sql, trackingStep(step), ms, err.message, o.actor, o.environment).catch(() => { });
        }
        throw err;
    }
    finally {
        // RESET ALL also takes back this section's session-level timeouts.
        await clean();
    }
}
/** `--single-transaction`: the whole batch all-or-nothing, with every tracking row. */
async function runBatch(steps, o) {
    const { sql } = o;
    const started = performance.now();
    const parts = [extended(sql, 'begin'), ...timeoutQueries(sql, o, true)];
    const spans = [];
    steps.forEach((step, i) => {
        o.onEvent?.({ type: 'step-start', step, index: i, total: steps.length });
        const { first } = queueStep(sql, o, step, parts);
        spans.push({ step, first, end: parts.length });
    });
    // One transaction cannot start each migration afresh: the session is reset once, after it.
    const { settled, resets } = await commitThenReset(sql, parts, o.signal);
    const bad = settled.findIndex((r) => r.status === 'rejected');
    if (bad >= 0 && connectionLost(o, settled[bad].reason)) {
        // The whole batch was one transaction: it stands or falls with the step that was running.
        const span = spans.find((s) => bad >= s.first && bad < s.end) ?? spans[0];
        const { error } = lostStep(span.step, o, positionOf(bad, span.first, span.step.statements.length), started);
        o.onEvent?.({ type: 'step-failed', step: span.step, error });
        return { steps: steps.map((s) => stepResult(s, s === span.step ? 'failed' : 'skipped', s === span.step ? performance.now() - started : 0, 1)), error };
    }
    await finishReset(sql, o, 'the batch', resets);
    const ms = performance.now() - started;
    if (bad < 0) {
        const results = steps.map((s) => stepResult(s, s.direction === 'up' ? 'applied' : 'rolled-back', ms / steps.length, 1));
        results.forEach((r, i) => o.onEvent?.({ type: 'step-done', step: steps[i], result: r }));
        return { steps: results };
    }
    await sql.unsafe('rollback').catch(() => { });
    const span = spans.find((s) => bad >= s.first && bad < s.end) ?? spans[0];
    const index = bad - span.first < span.step.statements.length ? bad - span.first : 0;
    const error = toMigrationError(span.step, index, settled[bad].reason, 'rolled-back', o.redactor);
    await o.tracking.recordFailure(sql, trackingStep(span.step), ms, errorSummary(error) + ' (whole batch rolled back)', o.actor, o.environment);
    o.onEvent?.({ type: 'step-failed', step: span.step, error });
    if (o.signal?.aborted)
        throw new AbortedError('interrupted: the whole batch was rolled back');
    return { steps: steps.map((s) => stepResult(s, s === span.step ? 'failed' : 'skipped', s === span.step ? ms : 0, 1)), error };
}

;// CONCATENATED MODULE: ./src/db/invalid-indexes.ts

function sqlName(name) {
    return /^[a-z_][a-z0-9_]*$/.test(name) ? name : quoteIdent(name);
}
/** The named indexes a step's CREATE INDEX CONCURRENTLY statements create, with their tables as written. */
function concurrentIndexes(step) {
    const out = [];
    for (const s of step.statements) {
        if (s.kind !== 'IndexStmt')
            continue;
        const n = s.node;
        // An unnamed index gets a new name on every attempt: it cannot be skipped by IF NOT EXISTS.
        if (!n.concurrent || !n.idxname || !n.relation?.relname)
            continue;
        out.push({ name: n.idxname, table: n.relation.schemaname ? `${quoteIdent(n.relation.schemaname)}.${quoteIdent(n.relation.relname)}` : quoteIdent(n.relation.relname) });
    }
    return out;
}
/** The invalid indexes that `steps` create, as the database has them now. Read-only. */
async function invalidIndexesOf(sql, steps) {
    const found = [];
    for (const step of steps) {
        for (const ix of concurrentIndexes(step)) {
            const rows = await sql `
        select n.nspname::text as schema, c.relname::text as name, t.relname::text as table
          from pg_index i
          join pg_class c on c.oid = i.indexrelid
          join pg_namespace n on n.oid = c.relnamespace
          join pg_class t on t.oid = i.indrelid
         where not i.indisvalid and c.relname = ${ix.name} and i.indrelid = to_regclass(${ix.table})`;
            for (const r of rows)
                found.push({ version: step.migration.version, ...r, qualified: `${sqlName(r.schema)}.${sqlName(r.name)}` });
        }
    }
    return found;
}
/** The statements that clear them, one per index. */
function dropStatements(indexes) {
    return indexes.map((i) => `DROP INDEX CONCURRENTLY ${i.qualified};`).join(' ');
}

;// CONCATENATED MODULE: ./src/execute/lost.ts



/**
 * Settles `error.outcome` and `error.afterLoss` from what the server says now; records the failed
 * attempt in the history when the migration did not commit. Returns the tracking rows when they could
 * be read. Never throws: a server that cannot be reached is itself the answer.
 */
async function lookAgain(error, step, o) {
    let conn;
    try {
        conn = await o.reopen();
    }
    catch (err) {
        error.afterLoss = `pgshift could not connect again to check (${err.message.replace(/\.$/, '')}): run "pgshift status" once the server is back.`;
        return undefined;
    }
    try {
        const pid = o.lifeline.pid;
        const [alive] = pid ? await conn.sql `select state from pg_stat_activity where pid = ${pid}` : [];
        if (alive) {
            error.afterLoss = `the server still runs the session that lost its connection (backend pid ${pid}, ${alive.state ?? 'state unknown'}): it may yet finish this migration${step.transactional ? ' and commit it' : ''}. Wait for it to end, or stop it with SELECT pg_terminate_backend(${pid}); then run "pgshift status".`;
            return undefined;
        }
        const { rows } = await o.tracking.read(conn.sql);
        const row = rows.find((r) => versionId(r.version) === versionId(step.migration.version));
        const tracked = `${o.tracking.schema}.schema_migrations`;
        if (step.transactional) {
            const applied = row?.status === 'applied';
            const committed = step.direction === 'up' ? applied : !row;
            error.outcome = committed ? 'committed' : 'rolled-back';
            error.afterLoss = committed
                ? `its COMMIT reached the server before the connection went: ${tracked} has it ${step.direction === 'up' ? 'applied' : 'rolled back'}.`
                : `the server rolled its transaction back: ${tracked} has it ${step.direction === 'up' ? 'not applied' : 'still applied'}, as before this run.`;
        }
        else if (row?.status === 'applied' && step.direction === 'up') {
            error.outcome = 'committed';
            error.afterLoss = `its last statement and its tracking row reached the server: ${tracked} has it applied.`;
        }
        else {
            error.outcome = 'failed-needs-resolve';
            error.afterLoss = `${tracked} has it ${row ? row.status : 'without a row'}.`;
            const invalid = await invalidIndexesOf(conn.sql, [step]);
            if (invalid.length)
                error.invalidIndex = invalid.map((i) => i.qualified).join(', ');
        }
        if (error.outcome !== 'committed') {
            await o.tracking.recordFailure(conn.sql, { version: step.migration.version, name: step.migration.name, checksum: step.migration.checksum, direction: step.direction }, o.durationMs, errorSummary(error), o.actor, o.environment);
        }
        return rows;
    }
    catch (err) {
        error.afterLoss = `pgshift connected again but could not read the tracking table (${err.message}): run "pgshift status".`;
        return undefined;
    }
    finally {
        await conn.close();
    }
}
/** The highest applied version, from rows read before the run and what the run did. */
function currentAfter(rows, steps) {
    const applied = new Set(rows.filter((r) => r.status === 'applied').map((r) => versionId(r.version)));
    const names = new Map(rows.map((r) => [versionId(r.version), r.version]));
    for (const s of steps) {
        if (s.status === 'applied')
            applied.add(versionId(s.version));
        if (s.status === 'rolled-back')
            applied.delete(versionId(s.version));
        names.set(versionId(s.version), s.version);
    }
    let best = null;
    for (const id of applied) {
        const v = names.get(id);
        // A repeatable migration ("R__<name>") has no version to be current at.
        if (!version_isVersion(v))
            continue;
        if (best === null || compareKeys(version_versionKey(v), version_versionKey(best)) > 0)
            best = v;
    }
    return best;
}

;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = require("node:path");
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(598);
;// CONCATENATED MODULE: ./src/files/checksum.ts

/**
 * Text as pgshift reads it: no UTF-8 BOM, LF line ends, so a Windows checkout keeps its checksums. A
 * file with CR line ends only (classic Mac) is read as LF too; a CR in a file that has LF line ends is
 * left alone, so the checksums of files already applied never change.
 */
function normaliseText(text) {
    const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    // One scan for the usual file, which has no CR at all.
    if (!noBom.includes('\r'))
        return noBom;
    if (!noBom.includes('\n'))
        return noBom.replace(/\r/g, '\n');
    return noBom.includes('\r\n') ? noBom.replace(/\r\n/g, '\n') : noBom;
}
/** `sha256:<hex>` of an (already normalised) up section; the algorithm is stored with the digest. */
function checksum(normalisedSql) {
    return 'sha256:' + (0,external_node_crypto_.createHash)('sha256').update(normalisedSql, 'utf8').digest('hex');
}

;// CONCATENATED MODULE: ./src/files/read.ts
// Reads a migration's file(s) into sections. Cheap line scanning only: the SQL parser runs later, and
// only on the sections that will run. How a file splits into sections is its form's business (./forms).







const decoder = new TextDecoder('utf-8', { fatal: true });
/** One buffer reused for every read: a deploy reads thousands of small files, once each. */
let scratch = Buffer.allocUnsafe(64 * 1024);
/**
 * The file's bytes, valid until the next call. open/read/close without readFileSync's fstat and
 * per-file allocation: measurably faster over 10,000 applied files.
 */
function readBytes(path) {
    const fd = (0,external_node_fs_.openSync)(path, 'r');
    try {
        let length = 0;
        for (;;) {
            if (length === scratch.length) {
                const bigger = Buffer.allocUnsafe(scratch.length * 2);
                scratch.copy(bigger, 0, 0, length);
                scratch = bigger;
            }
            const wanted = scratch.length - length;
            const n = (0,external_node_fs_.readSync)(fd, scratch, length, wanted, null);
            length += n;
            // A regular file's short read is its end: no second read just to see 0 bytes.
            if (n < wanted)
                return scratch.subarray(0, length);
        }
    }
    finally {
        (0,external_node_fs_.closeSync)(fd);
    }
}
/** What is wrong with a file the system would not read, in words, with what to do about it. */
function unreadable(path, err) {
    switch (err.code) {
        case 'ENOENT': {
            let target;
            try {
                target = (0,external_node_fs_.readlinkSync)(path);
            }
            catch {
                // Not a link: the file went away after the directory was listed.
            }
            return new MigrationFileError(path, undefined, target === undefined
                ? 'the file disappeared while pgshift was reading the directory. Run again.'
                : `the file is a symbolic link to ${target}, which does not exist. Point the link at the migration file, or delete it.`);
        }
        case 'ELOOP':
            return new MigrationFileError(path, undefined, 'the file is a symbolic link that loops (following it leads back to a link already followed). Point it at the migration file, or delete it.');
        case 'EACCES':
        case 'EPERM':
            return new MigrationFileError(path, undefined, `the file cannot be read: permission denied to the user running pgshift. Make it readable (chmod a+r ${path}).`);
        case 'EISDIR':
            return new MigrationFileError(path, undefined, 'this is a directory, not a migration file. Rename it, or move the migration out of it.');
        default:
            return new MigrationFileError(path, undefined, `the file cannot be read (${err.code ?? 'error'}: ${err.message}).`);
    }
}
function isErrno(err) {
    return err instanceof Error && typeof err.code === 'string';
}
function readText(path) {
    let bytes;
    try {
        bytes = readBytes(path);
    }
    catch (err) {
        throw isErrno(err) ? unreadable(path, err) : err;
    }
    // Postgres reads a query up to its first NUL: whatever follows would be dropped without a word.
    const nul = bytes.indexOf(0);
    if (nul >= 0) {
        const line = normaliseText(bytes.subarray(0, nul).toString('utf8')).split('\n').length;
        throw new MigrationFileError(path, line, `the file holds a NUL byte (byte ${nul + 1}): Postgres would stop reading the SQL there and drop the rest. Remove it; if the file was saved as UTF-16, re-save it as UTF-8.`);
    }
    try {
        return normaliseText(decoder.decode(bytes));
    }
    catch {
        const bad = firstInvalidUtf8(bytes);
        const line = bytes.subarray(0, bad).toString('latin1').split('\n').length;
        throw new MigrationFileError(path, line, `the file is not valid UTF-8 (byte ${bad + 1}). Re-save it as UTF-8.`);
    }
}
/** Offset of the first byte that breaks UTF-8, found by one linear scan (only on the error path). */
function firstInvalidUtf8(bytes) {
    for (let i = 0; i < bytes.length;) {
        const b = bytes[i];
        const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
        if (need < 0)
            return i;
        for (let k = 1; k <= need; k++)
            if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80)
                return i;
        // Overlong forms, UTF-16 surrogates and code points past U+10FFFF: well-formed bytes, still invalid.
        const second = bytes[i + 1];
        if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f))
            return i;
        i += need + 1;
    }
    return 0;
}

/** How the file is named, for a message: "V1__x.sql is named as a Flyway migration (V<version>__<name>.sql)". */
function namedAs(file, form) {
    const where = form.id === 'prisma' ? `${(0,external_node_path_namespaceObject.basename)((0,external_node_path_namespaceObject.dirname)(file.upPath))}/${(0,external_node_path_namespaceObject.basename)(file.upPath)}` : (0,external_node_path_namespaceObject.basename)(file.upPath);
    return `${where} is named as a ${toolOf(form)} migration${form.fileNames ? ` (${form.fileNames})` : ''}`;
}
/**
 * The form that reads this file: the one its markers belong to, which must be one whose names the file
 * carries. Markers of two forms, or of a form the name does not fit, are refused before anything runs:
 * each tool would read the file differently, and one of them would run a down as part of an up.
 */
function markedForm(file, path, text) {
    // By line, so that the refusal points at the later marker, the one that does not belong.
    const found = markersIn(text).sort((a, b) => a.line - b.line);
    if (found.length > 1) {
        const [a, b] = found;
        throw new MigrationFileError(path, b.line, `"${b.text}" is a ${toolOf(b.form)} marker, but line ${a.line} ("${a.text}") is a ${toolOf(a.form)} one: a file holds the markers of one form only. Keep the markers of the tool that wrote the file and make the others plain comments.`);
    }
    if (found.length === 0)
        return undefined;
    const [{ form, line, text: marker }] = found;
    const named = formById(file.form);
    if (familyOf(form) !== familyOf(named)) {
        const rename = form.fileNames ?? formById(familyOf(form)).fileNames;
        throw new MigrationFileError(path, line, `"${marker}" is a ${toolOf(form)} marker, but ${namedAs(file, named)}, which ${toolOf(form)} markers do not belong in. Rename the file${rename ? ` to ${rename}` : ''} if it is a ${toolOf(form)} migration, or remove the marker.`);
    }
    return form;
}
/** Reads and checks one migration. Throws MigrationFileError naming the file and line. */
function readMigration(file) {
    const text = readText(file.upPath);
    const downPath = file.downPath;
    // A separate down file holds no form's markers either (a "-- +goose Down" in a .down.sql would be read as SQL).
    const downFile = downPath
        ? {
            path: downPath,
            text: () => {
                const down = readText(downPath);
                markedForm(file, downPath, down);
                return down;
            },
        }
        : undefined;
    let form = markedForm(file, file.upPath, text) ?? formById(file.form);
    let sections;
    // A form that declines the text (dbmate without markers) hands it to the next form in the registry.
    for (let i = FORMS.indexOf(form); !(sections = form.sections(file.upPath, text, downFile));) {
        form = FORMS[++i];
        if (!form)
            throw new Error(`internal: no file form reads ${file.upPath}`);
    }
    const { up, preamble } = sections;
    let { down } = sections;
    if (isBlankSql(up.sql)) {
        // Point at the section's header (a dbmate "-- migrate:up"; the line after it may not exist), or line 1.
        throw new MigrationFileError(file.upPath, Math.max(1, up.startLine - 1), 'the up migration is empty. Write its SQL, or delete the file.');
    }
    // A down that is there but holds no SQL is the tool's "nothing to undo" (dbmate and golang-migrate run
    // it as a no-op): rolling back runs nothing. Only a migration with no down at all is irreversible.
    if (down && isBlankSql(down.sql))
        down = { ...down, empty: true };
    return { ...file, form: form.id, up, down, checksum: checksum(up.sql), preamble };
}

;// CONCATENATED MODULE: ./src/sql/split.ts

let parser;
/** Loads the parser's WebAssembly once, on first use: commands that parse nothing never pay for it. */
async function loadParser() {
    if (parser)
        return;
    const mod = (await __nccwpck_require__.e(/* import() */ 627).then(__nccwpck_require__.t.bind(__nccwpck_require__, 627, 23)));
    await mod.loadModule();
    parser = mod;
}
/** A section the parser rejects; `line`/`column` point into the file. */
class SqlSyntaxError extends Error {
    path;
    line;
    column;
    reason;
    constructor(path, line, column, reason) {
        super(`${path}:${line}:${column}: ${reason}`);
        this.path = path;
        this.line = line;
        this.column = column;
        this.reason = reason;
        this.name = 'SqlSyntaxError';
    }
}
/** Character offsets for the parser's UTF-8 byte offsets. */
function byteToCharMapper(sql) {
    if (Buffer.byteLength(sql) === sql.length)
        return (b) => b;
    const map = [];
    for (let i = 0; i < sql.length; i++) {
        const cp = sql.codePointAt(i);
        const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        for (let k = 0; k < bytes; k++)
            map.push(i);
        if (cp >= 0x10000)
            i++;
    }
    map.push(sql.length);
    return (b) => map[b] ?? sql.length;
}
/** Where the statement's own text begins, past white space and comments the parser may include. */
function skipLeadingTrivia(sql, from, to) {
    let i = from;
    while (i < to) {
        const c = sql[i];
        if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f')
            i++;
        else if (c === '-' && sql[i + 1] === '-') {
            const nl = sql.indexOf('\n', i);
            i = nl < 0 ? to : nl + 1;
        }
        else if (c === '/' && sql[i + 1] === '*') {
            let depth = 1;
            i += 2;
            while (i < to && depth > 0) {
                if (sql[i] === '/' && sql[i + 1] === '*') {
                    depth++;
                    i += 2;
                }
                else if (sql[i] === '*' && sql[i + 1] === '/') {
                    depth--;
                    i += 2;
                }
                else
                    i++;
            }
        }
        else
            break;
    }
    return i;
}
/**
 * The most SQL one section may hold. The WebAssembly parser needs 55–85 times a section's size in
 * memory (measured: 10 MB of DDL took 5.6 s and 1.0 GB, 20 MB 1.8 GB, and at 40 MB it runs out of
 * memory), so a bigger section is refused before parsing, with the reason, instead of failing as bad SQL.
 */
const MAX_SECTION_BYTES = 10 * 1024 * 1024;
function megabytes(bytes) {
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
function splitStatements(section) {
    if (!parser)
        throw new Error('internal: loadParser() must be awaited before splitStatements()');
    const { sql } = section;
    // Characters first: a string can only hold more bytes than characters when it is long anyway.
    const bytes = sql.length * 3 > MAX_SECTION_BYTES ? Buffer.byteLength(sql) : 0;
    if (bytes > MAX_SECTION_BYTES) {
        throw new SqlSyntaxError(section.path, section.startLine, 1, `this section is ${megabytes(bytes)} of SQL; pgshift reads at most ${megabytes(MAX_SECTION_BYTES)} per section, because checking it takes about 80 times its size in memory. The SQL is not wrong: split it into several migrations, and load data with COPY (psql \\copy) outside the migrations.`);
    }
    const starts = lineStarts(sql);
    const astral = hasAstral(sql) ? sql : undefined;
    let parsed;
    try {
        parsed = parser.parseSync(sql);
    }
    catch (err) {
        const e = err;
        // The parser's cursor is a 0-based count of characters (code points), not bytes nor UTF-16 units.
        const cursor = e.sqlDetails?.cursorPosition;
        // "at end of input" points past trailing blank lines, at a line that may not exist: use the end of the SQL.
        const offset = cursor !== undefined && cursor >= 0 ? Math.min(codePointIndex(sql, cursor), sql.trimEnd().length) : 0;
        const at = locate(starts, section.startLine, offset, astral);
        throw new SqlSyntaxError(section.path, at.line, at.column, `${e.message.replace(/\n/g, '\\n')} — fix the SQL there.`);
    }
    const toChar = byteToCharMapper(sql);
    const out = [];
    for (const raw of parsed.stmts ?? []) {
        const byteStart = raw.stmt_location ?? 0;
        const byteEnd = raw.stmt_len ? byteStart + raw.stmt_len : Buffer.byteLength(sql);
        const end = toChar(byteEnd);
        const start = skipLeadingTrivia(sql, toChar(byteStart), end);
        const text = sql.slice(start, end).replace(/\s+$/, '');
        if (!text)
            continue;
        const at = locate(starts, section.startLine, start, astral);
        const kind = Object.keys(raw.stmt)[0];
        out.push({ sql: text, offset: start, line: at.line, column: at.column, kind, node: raw.stmt[kind] ?? {} });
    }
    return section.blocks?.length ? joinBlocks(sql, out, section.blocks) : out;
}
/**
 * Explicit boundaries win: the statements inside a StatementBegin/StatementEnd block become one, sent as
 * one query as goose and sql-migrate send it (Postgres then runs a block of several in one implicit
 * transaction, as it does for them). The parser's statements stay in `parts` for the linter.
 */
function joinBlocks(sql, statements, blocks) {
    const out = [];
    for (let i = 0; i < statements.length;) {
        const s = statements[i];
        const block = blocks.find((b) => s.offset >= b.start && s.offset < b.end);
        let j = i + 1;
        while (block && j < statements.length && statements[j].offset < block.end)
            j++;
        if (j - i > 1) {
            const last = statements[j - 1];
            out.push({ ...s, sql: sql.slice(s.offset, last.offset + last.sql.length), parts: statements.slice(i, j) });
        }
        else
            out.push(s);
        i = j;
    }
    return out;
}

;// CONCATENATED MODULE: ./src/files/discover.ts
// Finds migrations by file name alone: nothing is read here (but a .sql file that no form claims by name,
// which sql-migrate may claim by its markers), so a directory of thousands of applied migrations costs
// one readdir, and a stat for each folder (Prisma's <timestamp>_<name>/migration.sql). Which names are migrations is up to the file forms (./forms).







/** "<version>_<name>.sql (dbmate, goose, …), … or V<version>__<name>.sql (Flyway)", from the forms' own names. */
function formNames() {
    const forms = [...FORMS].sort((a, b) => Number(b.id === DEFAULT_FORM) - Number(a.id === DEFAULT_FORM));
    const names = forms.flatMap((f) => {
        if (!f.fileNames)
            return [];
        const tools = [f, ...FORMS.filter((g) => g.readsNamesOf === f.id)].map(toolOf);
        return [`${f.fileNames} (${tools.join(', ')})`];
    });
    return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join('');
}
/** How many names to list in the summary of ignored files. */
const LISTED = 5;
/**
 * One problem for every .sql file no form claims: how many, which (the first few), and how migrations
 * are named. Never silent, and blocking when nothing at all in the directory is a migration: such a
 * directory is not "up to date", it is one pgshift cannot read.
 */
function ignoredProblem(dir, directory, ignored, nothingElse) {
    const n = ignored.length;
    const listed = n > LISTED ? `${ignored.slice(0, LISTED).join(', ')} and ${n - LISTED} more` : ignored.join(', ');
    const notes = [...new Set(ignored.flatMap((name) => FORMS.flatMap((f) => f.unsupported?.(name) ?? [])))];
    const files = `${n} .sql file${n === 1 ? '' : 's'}`;
    const naming = `A migration is named ${formNames()}; a sql-migrate file may have any name that starts with a number when it holds "-- +migrate Up"${notes.map((x) => ` (${x})`).join('')}.`;
    return {
        kind: 'unmatched',
        path: dir,
        message: nothingElse
            ? `${directory}: none of its ${files} is a migration pgshift recognises (${listed}), so nothing would run. ${naming} Rename them, or pass the directory that holds the migrations with --dir.`
            : `${directory}: ${files} ignored, not named as migrations, so ${n === 1 ? 'it does' : 'they do'} not run: ${listed}. ${naming}`,
        blocking: nothingElse,
    };
}
/** The migration.sql of a folder, when the folder is one (Prisma's `<timestamp>_<name>/migration.sql`). */
function folderMigration(dir, folder) {
    try {
        return (0,external_node_fs_.statSync)((0,external_node_path_namespaceObject.join)(dir, folder, 'migration.sql')).isFile() ? `${folder}/migration.sql` : undefined;
    }
    catch {
        return undefined;
    }
}
/** Why the migrations directory itself cannot be listed, in words. */
function directoryError(directory, dir, err) {
    const code = err?.code;
    if (code === 'EACCES' || code === 'EPERM') {
        return new ConfigError(`migrations directory ${directory} cannot be read: permission denied to the user running pgshift. Make it readable (chmod a+rx ${directory}).`);
    }
    if (code === 'ELOOP')
        return new ConfigError(`migrations directory ${directory} is a symbolic link that loops: point it at the real directory, or pass that one with --dir.`);
    if (code === 'ENOTDIR')
        return new ConfigError(`${directory} is not a directory: pass the migrations directory with --dir.`);
    if (code === 'ENOENT') {
        let target;
        try {
            target = (0,external_node_fs_.readlinkSync)(dir);
        }
        catch {
            // Not a link: the directory is simply not there.
        }
        if (target !== undefined)
            return new ConfigError(`migrations directory ${directory} is a symbolic link to ${target}, which does not exist: fix the link, or pass the right directory with --dir.`);
        return new ConfigError(`migrations directory ${directory} does not exist: create it, or pass the right one with --dir.`);
    }
    return new ConfigError(`migrations directory ${directory} cannot be read (${code ?? 'error'}: ${err?.message ?? String(err)}).`);
}
/** What a directory entry is once links are followed; 'broken' for a link that leads nowhere or loops. */
function entryKind(dir, e) {
    if (e.isFile())
        return 'file';
    if (e.isDirectory())
        return 'directory';
    if (!e.isSymbolicLink())
        return 'other';
    try {
        const st = (0,external_node_fs_.statSync)((0,external_node_path_namespaceObject.join)(dir, e.name));
        return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
    }
    catch {
        return 'broken';
    }
}
function discoverMigrations(directory) {
    const dir = (0,external_node_path_namespaceObject.resolve)(directory);
    let dirents;
    try {
        if (!(0,external_node_fs_.statSync)(dir).isDirectory())
            throw new ConfigError(`${directory} is not a directory: pass the migrations directory with --dir.`);
        // In name order, as entries were always sorted (the default sort: UTF-16 code units).
        dirents = (0,external_node_fs_.readdirSync)(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    catch (err) {
        if (err instanceof ConfigError)
            throw err;
        throw directoryError(directory, dir, err);
    }
    const problems = [];
    const entries = [];
    // Only .sql names are looked at (and only links among them followed): a README link that leads
    // nowhere is none of pgshift's business.
    for (const e of dirents) {
        if (!e.name.toLowerCase().endsWith('.sql')) {
            // One level into folders, for Prisma's migration.sql; other folders are none of pgshift's business.
            const inner = entryKind(dir, e) === 'directory' ? folderMigration(dir, e.name) : undefined;
            if (inner)
                entries.push(inner);
            continue;
        }
        const kind = entryKind(dir, e);
        const path = (0,external_node_path_namespaceObject.join)(dir, e.name);
        if (kind === 'directory') {
            problems.push({
                kind: 'unmatched',
                path,
                message: `${path}: a directory named like a migration file. pgshift reads only the files directly in the migrations directory, so nothing in it will run: move its migrations up into ${directory}, or rename it so that it does not end in .sql.`,
                blocking: false,
            });
        }
        else if (kind === 'other') {
            problems.push({ kind: 'unmatched', path, message: `${path}: not a regular file (a device, socket or pipe), so it will not run. Replace it with the migration file.`, blocking: false });
        }
        else {
            // A link that leads nowhere is kept: reading it names the file and what is wrong with it.
            entries.push(e.name);
        }
    }
    const ups = [];
    const repeatables = [];
    /** Down files by form, then by the key they share with their up file. */
    const downs = new Map(FORMS.map((f) => [f.id, new Map()]));
    const ignored = [];
    for (const entry of entries) {
        const path = (0,external_node_path_namespaceObject.join)(dir, entry);
        let claim = claimName(entry);
        if (!claim) {
            // Only a name no form claims is read here (sql-migrate accepts any *.sql name holding its markers).
            try {
                claim = claimText(entry, () => readText(path));
            }
            catch (err) {
                if (!(err instanceof MigrationFileError))
                    throw err;
                problems.push({ kind: 'file', path, line: err.line, message: `${path}${err.line ? `:${err.line}` : ''}: ${err.reason}`, blocking: true });
                continue;
            }
        }
        if (!claim) {
            ignored.push(entry);
            continue;
        }
        const { form, named } = claim;
        // dbmate or plain is decided when the file is read (by its markers): see forms/plain.ts.
        if (named.role === 'repeatable') {
            repeatables.push({ version: named.version, versionKey: version_versionKey(named.version), name: named.name, form: form.id, upPath: path, downPath: undefined, repeatable: true });
        }
        else if (named.role === 'up')
            ups.push({ version: named.version, name: named.name, path, form: form.id, pairKey: named.pairKey });
        else
            downs.get(form.id).set(named.pairKey, { version: named.version, name: named.name, path });
    }
    // Built with every field at once (downPath included): objects of one shape stay fast in V8.
    const found = ups.map((u) => {
        const file = { version: u.version, versionKey: version_versionKey(u.version), name: u.name, form: u.form, upPath: u.path, downPath: undefined };
        return { file, pairKey: u.pairKey };
    });
    found.sort((a, b) => compareKeys(a.file.versionKey, b.file.versionKey) || a.file.upPath.localeCompare(b.file.upPath));
    const files = found.map((f) => f.file);
    // Two files claiming one version would run in an undefined order: refuse.
    for (let i = 1; i < files.length; i++) {
        if (compareKeys(files[i - 1].versionKey, files[i].versionKey) === 0) {
            problems.push({
                kind: 'file',
                path: files[i].upPath,
                version: files[i].version,
                message: `${files[i].upPath}: version ${files[i].version} is also claimed by ${files[i - 1].upPath}. Give one of them a new version.`,
                blocking: true,
            });
        }
    }
    for (const { file, pairKey } of found) {
        if (pairKey === undefined)
            continue;
        const ofForm = downs.get(file.form);
        const down = ofForm.get(pairKey);
        if (down) {
            file.downPath = down.path;
            ofForm.delete(pairKey);
        }
    }
    for (const ofForm of downs.values()) {
        for (const orphan of ofForm.values()) {
            problems.push({
                kind: 'file',
                path: orphan.path,
                version: orphan.version,
                message: `${orphan.path}: a down migration with no up migration of the same version and name. Rename it to match its up file, or delete it.`,
                blocking: true,
            });
        }
    }
    // Flyway orders repeatables by description; names are unique within a directory, so no tie to break.
    repeatables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (ignored.length)
        problems.push(ignoredProblem(dir, directory, ignored, files.length === 0 && repeatables.length === 0 && !problems.some((p) => p.blocking)));
    return { dir, files, repeatables, problems };
}

;// CONCATENATED MODULE: ./src/files/catalog.ts
// The migrations directory as a lazily read catalog: file names are listed once, a file is read only
// when its checksum or its SQL is needed, and at most once per run.



class catalog_Catalog {
    dir;
    /** Versioned migrations, by version. */
    files;
    /** Repeatable migrations (Flyway R__), in the order they run after the versioned ones. */
    repeatables;
    /** Problems found in file names (unmatched, duplicate versions, orphan downs). */
    nameProblems;
    byId = new Map();
    cache = new Map();
    constructor(dir) {
        this.dir = dir;
        const found = discoverMigrations(dir);
        this.files = found.files;
        this.repeatables = found.repeatables;
        this.nameProblems = found.problems;
        for (const f of this.files)
            if (!this.byId.has(versionId(f.version)))
                this.byId.set(versionId(f.version), f);
        // "R__<name>" is not a version, so versionId leaves it as it is: no clash with a versioned file.
        for (const f of this.repeatables)
            this.byId.set(f.version, f);
    }
    find(version) {
        return this.byId.get(versionId(version));
    }
    /** The migration, or the file error that makes it unusable. */
    load(file) {
        let hit = this.cache.get(file);
        if (!hit) {
            try {
                hit = readMigration(file);
            }
            catch (err) {
                if (!(err instanceof MigrationFileError))
                    throw err;
                hit = err;
            }
            this.cache.set(file, hit);
        }
        return hit;
    }
    /** Checksum of a file's up section, or undefined when the file cannot be read. */
    checksum(file) {
        const m = this.load(file);
        return m instanceof MigrationFileError ? undefined : m.checksum;
    }
}
function fileProblem(err, version) {
    return { kind: 'file', path: err.path, line: err.line, version, message: err.message, blocking: true };
}

;// CONCATENATED MODULE: ./src/plan/plan.ts
// Files + tracking rows → a Plan: what would run, in which order, and every reason to refuse.
// Pure: it reads files but never the database (the caller passes the rows in).








/** Statements that begin or end a transaction, which a file may carry by habit. */
const BLOCK_KINDS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT']);
/** Statements that would end pgshift's transaction early or undo it. */
const FORBIDDEN_KINDS = {
    TRANS_STMT_ROLLBACK: 'ROLLBACK',
    TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
    TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
    TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};
/**
 * A transactional section's statements as pgshift runs them: the file's own BEGIN/COMMIT are dropped
 * because the whole section (and its tracking rows) already runs in one pgshift transaction, which
 * keeps the all-or-nothing guarantee those statements were written for.
 */
function transactionalStatements(section, statements, problems, version) {
    const kept = [];
    let dropped = 0;
    for (const s of statements) {
        const kind = s.kind === 'TransactionStmt' ? String(s.node.kind) : '';
        if (BLOCK_KINDS.has(kind)) {
            dropped++;
            continue;
        }
        if (FORBIDDEN_KINDS[kind]) {
            problems.push({
                kind: 'transaction-control',
                path: section.path,
                line: s.line,
                version,
                message: `${section.path}:${s.line}: ${FORBIDDEN_KINDS[kind]} inside a migration would end pgshift's transaction and lose the tracking row. Remove it (a failed migration is rolled back for you), or mark the section transaction:false.`,
                blocking: true,
            });
        }
        kept.push(s);
    }
    const notes = dropped ? [`the file's own BEGIN/COMMIT (${dropped} statement${dropped > 1 ? 's' : ''}) run as pgshift's single transaction for this migration`] : [];
    return { statements: kept, notes };
}
/** What a rollback of an empty down section does, for the plan and the history. */
const EMPTY_DOWN_NOTE = 'the down section is empty (nothing to undo): rolling back runs no SQL and removes the migration from the applied set';
/**
 * The section as it runs: a form whose tool runs a script without a transaction when it holds a
 * statement that cannot run in one (Flyway) has it so here, with a note saying which statement.
 */
function asItRuns(migration, section, statements) {
    if (!section.transaction)
        return { section };
    const form = formById(migration.form);
    const s = form.outsideTransaction?.(statements);
    if (!s)
        return { section };
    const note = `runs without a transaction, as ${toolOf(form)} runs it: line ${s.line} (${statementWords(s)}) cannot run inside one`;
    return { section: { ...section, transaction: false }, note };
}
function planStep(migration, direction, problems) {
    let section = direction === 'up' ? migration.up : migration.down;
    let split = [];
    let syntaxError;
    try {
        // An empty down has nothing to parse (the parser refuses an empty query).
        split = section.empty ? [] : splitStatements(section);
    }
    catch (err) {
        if (!(err instanceof SqlSyntaxError))
            throw err;
        syntaxError = { line: err.line, column: err.column, reason: err.reason };
        problems.push({ kind: 'file', path: err.path, line: err.line, version: migration.version, message: err.message, blocking: true });
    }
    // The parser's own statements, also those a StatementBegin/StatementEnd block sends as one.
    const parsed = split.flatMap((s) => s.parts ?? [s]);
    const runs = asItRuns(migration, section, parsed);
    section = runs.section;
    let statements = split;
    let notes = runs.note ? [runs.note] : [];
    if (section.transaction)
        ({ statements, notes } = transactionalStatements(section, split, problems, migration.version));
    if (section.empty)
        notes.push(EMPTY_DOWN_NOTE);
    if (statements.length === 0 && !section.empty && !problems.some((p) => p.path === section.path && p.blocking)) {
        problems.push({
            kind: 'file',
            path: section.path,
            line: section.startLine,
            version: migration.version,
            message: `${section.path}:${section.startLine}: the ${direction} section has no SQL statement. Write it, or delete the file.`,
            blocking: true,
        });
    }
    return {
        migration,
        direction,
        section,
        statements,
        transactional: section.transaction,
        rollback: direction === 'up' ? migration.down : undefined,
        notes,
        // The linter reads this split instead of parsing the section again.
        parsed: statements.length === parsed.length ? undefined : parsed,
        syntaxError,
        historyNote: section.empty ? EMPTY_DOWN_NOTE : undefined,
    };
}
/** The target's version key; 'all' for a down to 0, which rolls back every migration, a version 0 included. */
function checkTarget(target, catalog, rows, direction) {
    if (target === undefined || target === '')
        return undefined;
    if (!version_isVersion(target))
        throw new ConfigError(`--target ${target} is not a version: use the number at the start of a migration file name.`);
    if (direction === 'down' && version_versionKey(target).every((p) => p === 0n))
        return 'all';
    const known = catalog.find(target) || rows.some((r) => versionId(r.version) === versionId(target));
    if (!known)
        throw new ConfigError(`--target ${target} matches no migration in ${catalog.dir} nor in the tracking table: use an existing version${direction === 'down' ? ' (or 0 to roll back everything)' : ''}.`);
    return version_versionKey(target);
}
/**
 * Repeatable migrations that are due: new ones, and those whose file changed since they last ran. A
 * failed or running one waits for `resolve` (its row is a problem already); an unreadable one refuses an up.
 */
function dueRepeatables(catalog, rowsById, problems, direction) {
    const due = [];
    let refused = false;
    for (const file of catalog.repeatables) {
        const row = rowsById.get(file.version);
        if (row && row.status !== 'applied')
            continue;
        const loaded = catalog.load(file);
        if (loaded instanceof MigrationFileError) {
            problems.push({ ...fileProblem(loaded, file.version), blocking: direction === 'up' });
            if (direction === 'up')
                refused = true;
            continue;
        }
        if (row && row.checksum === loaded.checksum)
            continue;
        due.push({
            migration: loaded,
            why: row ? 'repeatable: runs again because its file changed since it last ran' : 'repeatable: runs for the first time (then again whenever its file changes)',
        });
    }
    return { due, refused };
}
function buildPlan(catalog, tracking, selection) {
    const problems = [...catalog.nameProblems];
    // Problems that refuse the run even when no step is left to run: a duplicate version or an orphan
    // down file (usually a misnamed up file), a pending file that cannot be read, a migration chosen for
    // rollback that cannot be rolled back. Without this, "up"/"down" would say "nothing to do" and exit 0.
    let refused = catalog.nameProblems.some((p) => p.blocking);
    const rowsById = new Map(tracking.rows.map((r) => [versionId(r.version), r]));
    // Repeatable migrations ("R__<name>") are applied too, but have no version: they are never current,
    // never out of order, never rolled back.
    const applied = tracking.rows.filter((r) => r.status === 'applied' && !isRepeatableVersion(r.version));
    let highest;
    let currentVersion = null;
    for (const r of applied) {
        const k = version_versionKey(r.version);
        if (!highest || compareKeys(k, highest) > 0) {
            highest = k;
            currentVersion = r.version;
        }
    }
    // Applied files must be unchanged; their text is hashed, never parsed.
    for (const row of tracking.rows) {
        const file = catalog.find(row.version);
        if (row.status !== 'applied') {
            problems.push({
                kind: 'failed',
                version: row.version,
                path: file?.upPath,
                message: `migration ${row.version} (${row.name}) is marked ${row.status}${row.errorMessage ? `: ${row.errorMessage}` : ''}. Check the database by hand, then run "pgshift resolve ${row.version} --applied" if its changes are in place, or "pgshift resolve ${row.version} --rolled-back" if they are not.`,
                blocking: true,
            });
            continue;
        }
        if (!file) {
            problems.push({
                kind: 'missing',
                version: row.version,
                message: `migration ${row.version}${row.name ? ` (${row.name})` : ''} is applied but its file is gone from the migrations directory (${catalog.dir}). ${selection.allowMissing ? 'Going on without it (--allow-missing).' : 'Restore the file, or pass --allow-missing to go on without it.'}`,
                blocking: !selection.allowMissing,
            });
            continue;
        }
        // A repeatable migration whose file changed is not a changed history: it is due to run again (below).
        if (file.repeatable)
            continue;
        if (!row.checksum) {
            // A dbmate row before adoption has nothing to compare yet; in pgshift's own table a row without a
            // checksum was written by hand, and its file could change unnoticed: say so, without blocking.
            if (!tracking.unadopted) {
                problems.push({
                    kind: 'unverified',
                    version: row.version,
                    path: file.upPath,
                    message: `migration ${row.version}${row.name ? ` (${row.name})` : ''} has no checksum in schema_migrations (it is ${row.checksum === '' ? 'empty' : 'NULL'}), so pgshift cannot tell whether ${file.upPath} changed after it ran. Check that the file is what was applied, then record its checksum with "pgshift repair ${row.version}", giving the reason.`,
                    blocking: false,
                });
            }
            continue;
        }
        const loaded = catalog.load(file);
        if (loaded instanceof MigrationFileError) {
            problems.push(fileProblem(loaded, row.version));
            continue;
        }
        if (loaded.checksum !== row.checksum) {
            problems.push({
                kind: 'modified',
                version: row.version,
                path: file.upPath,
                storedChecksum: row.checksum,
                currentChecksum: loaded.checksum,
                message: `${file.upPath}: applied migration ${row.version} was changed after it ran (stored ${row.checksum}, now ${loaded.checksum}). Restore the file as it was applied and put the change in a new migration; or, if the change alters nothing that ran (whitespace, comments) or was applied by hand, accept it with "pgshift repair ${row.version}", giving the reason.`,
                blocking: true,
            });
        }
    }
    // Pending files: read (and so checked) before anything touches the database.
    const pending = [];
    for (const file of catalog.files) {
        if (rowsById.has(versionId(file.version)))
            continue;
        const loaded = catalog.load(file);
        if (loaded instanceof MigrationFileError) {
            // A down never runs a pending file (one just made by `pgshift new`, still empty): a warning there.
            problems.push({ ...fileProblem(loaded, file.version), blocking: selection.direction === 'up' });
            if (selection.direction === 'up')
                refused = true;
            continue;
        }
        pending.push(loaded);
        if (highest && compareKeys(file.versionKey, highest) < 0) {
            problems.push({
                kind: 'out-of-order',
                version: file.version,
                path: file.upPath,
                message: `${file.upPath}: pending migration ${file.version} is older than the newest applied one (${currentVersion}). Give it a newer version, or pass --allow-out-of-order to apply it anyway.`,
                blocking: !selection.allowOutOfOrder,
            });
        }
    }
    const pendingFiles = catalog.files.filter((f) => !rowsById.has(versionId(f.version)));
    const repeatables = dueRepeatables(catalog, rowsById, problems, selection.direction);
    if (repeatables.refused)
        refused = true;
    const target = checkTarget(selection.target, catalog, tracking.rows, selection.direction);
    const steps = [];
    if (selection.direction === 'up') {
        let chosen = pending.filter((m) => !target || target === 'all' || compareKeys(m.versionKey, target) <= 0);
        if (selection.steps !== undefined)
            chosen = chosen.slice(0, selection.steps);
        for (const m of chosen)
            steps.push(planStep(m, 'up', problems));
        // As in Flyway, repeatables run after the versioned migrations, and only once none is left pending
        // (a view may read a table that a pending migration creates).
        if (chosen.length === pending.length) {
            const room = selection.steps === undefined ? repeatables.due.length : Math.max(0, selection.steps - chosen.length);
            for (const { migration, why } of repeatables.due.slice(0, room)) {
                const step = planStep(migration, 'up', problems);
                step.notes.push(why);
                steps.push(step);
            }
        }
    }
    else {
        let chosen = [...applied].sort((a, b) => compareKeys(version_versionKey(b.version), version_versionKey(a.version)));
        if (target && target !== 'all')
            chosen = chosen.filter((r) => compareKeys(version_versionKey(r.version), target) > 0);
        chosen = chosen.slice(0, selection.steps ?? (target ? undefined : 1));
        for (const row of chosen) {
            const file = catalog.find(row.version);
            const loaded = file ? catalog.load(file) : undefined;
            if (!file || loaded === undefined) {
                problems.push({
                    kind: 'missing',
                    version: row.version,
                    message: `cannot roll back ${row.version}${row.name ? ` (${row.name})` : ''}: its file is gone from the migrations directory (${catalog.dir}). Restore the file first.`,
                    blocking: true,
                });
                refused = true;
                continue;
            }
            if (loaded instanceof MigrationFileError) {
                // Reported above unless the row had no checksum to compare (a dbmate row before adoption).
                if (!problems.some((p) => p.message === loaded.message))
                    problems.push(fileProblem(loaded, row.version));
                refused = true;
                continue;
            }
            if (!loaded.down) {
                refused = true;
                problems.push({
                    kind: 'file',
                    version: row.version,
                    path: loaded.upPath,
                    message: `${loaded.upPath}: migration ${row.version} has no down at all, so it cannot be rolled back (an empty down would roll back as a no-op; a missing one is irreversible). ${formById(loaded.form).addDown ?? 'Add a "-- migrate:down" section (or a .down.sql / U file)'}, or fix forward with a new migration.`,
                    blocking: true,
                });
                continue;
            }
            steps.push(planStep(loaded, 'down', problems));
        }
    }
    // A problem with the applied history (a file changed or gone, a migration failed or still running)
    // refuses every run, even one with nothing to run: otherwise the check that sees the change stays
    // green and the next deploy with something pending is refused in production. (--allow-missing makes
    // a missing file non-blocking: that is its meaning.)
    const onRecord = (p) => p.version !== undefined && rowsById.has(versionId(p.version));
    const blocked = refused || problems.some((p) => p.blocking && (steps.length > 0 || onRecord(p) || p.kind === 'failed' || p.kind === 'transaction-control'));
    return {
        direction: selection.direction,
        steps,
        problems,
        applied: tracking.rows,
        pendingCount: pendingFiles.length + repeatables.due.length,
        currentVersion,
        trackingExists: tracking.exists,
        databaseChecked: tracking.databaseChecked,
        blocked,
        findings: [],
    };
}

;// CONCATENATED MODULE: ./src/db/adopt/dbmate.ts
// dbmate: schema_migrations(version varchar primary key), one row per applied migration. pgshift's own
// table has the same name and grows from it (src/db/tracking.ts), so adopting keeps the rows in place.

const dbmate_dbmate = {
    tool: 'dbmate',
    table: 'schema_migrations',
    recognises: (columns) => columns.length === 1 && columns[0] === 'version',
    async read(sql, table) {
        const rows = await sql.unsafe(`select version::text as version from ${qualified(table)}`);
        return { entries: rows.map((r) => ({ key: r.version, by: 'version', state: 'applied' })) };
    },
};

;// CONCATENATED MODULE: ./src/db/adopt/flyway.ts
// Flyway: flyway_schema_history(installed_rank, version, description, type, script, checksum, installed_by,
// installed_on, execution_time, success), read in installed_rank order as Flyway reads it: a versioned
// row applies its version (or, unsuccessful, leaves it failed); an UNDO_ row takes it back; a DELETE row
// (written by `flyway repair`) forgets it; a BASELINE row stands for every version up to its own; SCHEMA
// rows are Flyway's own. Rows without a version are repeatable migrations (R__<name>.sql): the latest
// successful one per script counts, with the CRC32 it ran with.



const flyway_flyway = {
    tool: 'flyway',
    table: 'flyway_schema_history',
    recognises: (columns) => ['installed_rank', 'version', 'script', 'success'].every((c) => columns.includes(c)),
    async read(sql, table) {
        const rows = await sql.unsafe(`select installed_rank as rank, version, type, script, checksum, success, installed_on as installed from ${qualified(table)} order by installed_rank`);
        const versioned = new Map();
        const repeatables = new Map();
        let baseline;
        for (const r of rows) {
            const type = r.type.toUpperCase();
            if (type === 'SCHEMA')
                continue;
            if (r.version === null) {
                // A repeatable: the last run decides; one that failed is run again by Flyway, and by pgshift.
                const identity = (0,external_node_path_namespaceObject.basename)(r.script).replace(/\.sql$/i, '');
                repeatables.set(identity, r.success ? { key: identity, by: 'version', state: 'applied', flywayChecksum: r.checksum, repeatable: true } : undefined);
                continue;
            }
            if (type === 'BASELINE') {
                if (r.success && (!baseline || compareVersions(r.version, baseline) > 0))
                    baseline = r.version;
                continue;
            }
            if (type === 'DELETE' || (type.startsWith('UNDO_') && r.success)) {
                versioned.delete(r.version);
                continue;
            }
            if (r.success)
                versioned.set(r.version, { key: r.version, by: 'version', state: 'applied', flywayChecksum: r.checksum });
            else {
                versioned.set(r.version, {
                    key: r.version,
                    by: 'version',
                    state: 'failed',
                    note: `adopted from flyway: ${shownTable(table)} records ${type.startsWith('UNDO_') ? 'the undo of ' : ''}${r.script} as failed (installed_rank ${r.rank}${r.installed ? `, ${r.installed.toISOString()}` : ''}); Flyway would refuse to migrate until "flyway repair" removed the row`,
                });
            }
        }
        const entries = [...versioned.values(), ...[...repeatables.values()].filter((e) => !!e)];
        return { entries, upTo: baseline ? { version: baseline, why: `Flyway's baseline is version ${baseline}` } : undefined };
    },
};
const CRC_TABLE = (() => {
    const t = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        t[n] = c;
    }
    return t;
})();
/**
 * The checksum Flyway stores for a SQL script: CRC32 over the UTF-8 bytes of each line read with Java's
 * BufferedReader.readLine (line ends dropped, a BOM dropped from the first line), as a signed 32-bit int.
 */
function flywayChecksum(text) {
    const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
    let crc = -1;
    for (const byte of Buffer.from(lines.join(''), 'utf8'))
        crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    return (crc ^ -1) | 0;
}

;// CONCATENATED MODULE: ./src/db/adopt/golang-migrate.ts
// golang-migrate: schema_migrations(version bigint not null primary key, dirty boolean not null) holds ONE
// row, the current version (its postgres driver truncates and inserts on every step): every migration
// at or below it is applied. A dirty row is a migration that failed part-way; golang-migrate refuses to
// go on until `migrate force` settles it, and so does adoption.


/** The name golang-migrate's table takes when pgshift adopts it: pgshift's own table is schema_migrations. */
const GOLANG_RENAMED = 'golang_migrate_schema_migrations';
const golangMigrate = {
    tool: 'golang-migrate',
    table: 'schema_migrations',
    recognises: (columns) => columns.length === 2 && columns.includes('version') && columns.includes('dirty'),
    async read(sql, table, files) {
        const rows = await sql.unsafe(`select version::text as version, dirty from ${qualified(table)}`);
        if (!rows.length)
            return { entries: [] };
        // The driver keeps one row; should there be more, the highest is where it stands.
        const row = rows.sort((a, b) => compareVersions(b.version, a.version))[0];
        const t = shownTable(table);
        if (row.dirty) {
            const before = files.versions
                .filter((v) => compareVersions(v, row.version) < 0)
                .sort(compareVersions)
                .pop();
            const back = before
                ? `go back to the version before it, as "migrate force ${before}" would: UPDATE ${t} SET version = ${before}, dirty = false;`
                : `go back to no version, as "migrate force -1" would: DELETE FROM ${t};`;
            return {
                entries: [],
                refusal: `golang-migrate's ${t} says version ${row.version} is dirty: that migration failed part-way, and golang-migrate itself refuses to run until it is settled. ` +
                    `Check in the database what the up migration of ${row.version} did. If all of it took effect, mark it clean, as "migrate force ${row.version}" would: UPDATE ${t} SET dirty = false; ` +
                    `if none of it did (undo by hand what did), ${back} Then run pgshift adopt --from golang-migrate again (in the second case pgshift up then runs ${row.version}). Nothing was written.`,
            };
        }
        if (Number(row.version) < 0)
            return { entries: [] };
        return { entries: [], upTo: { version: row.version, why: `golang-migrate's current version is ${row.version}` } };
    },
};

;// CONCATENATED MODULE: ./src/db/adopt/goose.ts
// goose: goose_db_version(id serial, version_id bigint, is_applied boolean, tstamp timestamp). Older goose
// records a down as a new row with is_applied = false, newer goose deletes the row: either way the latest
// row of a version (highest id) decides. Version 0 is the row goose writes when it creates the table.

const goose_goose = {
    tool: 'goose',
    table: 'goose_db_version',
    recognises: (columns) => ['version_id', 'is_applied'].every((c) => columns.includes(c)),
    async read(sql, table) {
        const rows = await sql.unsafe(`select version_id::text as version, is_applied as applied from ${qualified(table)} order by id desc`);
        const seen = new Set();
        const entries = [];
        for (const r of rows) {
            if (seen.has(r.version))
                continue;
            seen.add(r.version);
            if (r.version !== '0' && r.applied)
                entries.push({ key: r.version, by: 'version', state: 'applied' });
        }
        return { entries };
    },
};

;// CONCATENATED MODULE: ./src/db/adopt/node-pg-migrate.ts
// node-pg-migrate: pgmigrations(id serial primary key, name varchar not null, run_on timestamp not null),
// one row per applied migration, keyed by the file name without its extension (a down deletes it).

const node_pg_migrate_nodePgMigrate = {
    tool: 'node-pg-migrate',
    table: 'pgmigrations',
    recognises: (columns) => ['name', 'run_on'].every((c) => columns.includes(c)),
    async read(sql, table) {
        const rows = await sql.unsafe(`select name from ${qualified(table)} order by run_on, id`);
        return { entries: rows.map((r) => ({ key: r.name, by: 'name', state: 'applied' })) };
    },
};

;// CONCATENATED MODULE: ./src/db/adopt/prisma.ts
// Prisma: _prisma_migrations(id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at,
// applied_steps_count), keyed by the migration's folder name. A migration is applied when one of its
// rows finished and was not rolled back; a row neither finished nor rolled back is a migration that
// failed part-way, which Prisma refuses to go past (P3009) until `prisma migrate resolve` settles it.

const prisma_prisma = {
    tool: 'prisma',
    table: '_prisma_migrations',
    recognises: (columns) => ['migration_name', 'finished_at', 'rolled_back_at'].every((c) => columns.includes(c)),
    async read(sql, table) {
        const rows = await sql.unsafe(`select migration_name as name, finished_at is not null as finished, rolled_back_at is not null as "rolledBack", started_at as started, logs from ${qualified(table)} order by started_at`);
        const unfinished = rows.find((r) => !r.finished && !r.rolledBack);
        if (unfinished) {
            const n = unfinished.name;
            const logs = unfinished.logs?.trim().split('\n')[0];
            return {
                entries: [],
                refusal: `Prisma's ${shownTable(table)} says migration ${n} started${unfinished.started ? ` at ${unfinished.started.toISOString()}` : ''} and never finished${logs ? ` (${logs})` : ''}: it failed part-way, and Prisma itself refuses to deploy until it is settled. ` +
                    `Check in the database what ${n}/migration.sql did. If all of it took effect: npx prisma migrate resolve --applied ${n}; if none of it did (undo by hand what did): npx prisma migrate resolve --rolled-back ${n}. ` +
                    `Then run pgshift adopt --from prisma again (in the second case pgshift up then runs it). Nothing was written.`,
            };
        }
        const applied = new Set(rows.filter((r) => r.finished && !r.rolledBack).map((r) => r.name));
        const entries = [...applied].map((name) => ({ key: name, by: 'name', state: 'applied' }));
        return { entries };
    },
};

;// CONCATENATED MODULE: ./src/db/adopt/sql-migrate.ts
// sql-migrate: gorp_migrations(id text primary key, applied_at timestamptz), one row per applied
// migration, keyed by the file name (a down deletes it).

const sql_migrate_sqlMigrate = {
    tool: 'sql-migrate',
    table: 'gorp_migrations',
    recognises: (columns) => ['id', 'applied_at'].every((c) => columns.includes(c)),
    async read(sql, table) {
        const rows = await sql.unsafe(`select id from ${qualified(table)}`);
        return { entries: rows.map((r) => ({ key: r.id, by: 'name', state: 'applied' })) };
    },
};

;// CONCATENATED MODULE: ./src/db/adopt/supabase.ts
// Supabase CLI: supabase_migrations.schema_migrations(version text primary key, statements text[], name
// text), one row per applied migration file <version>_<name>.sql (the CLI's migration repair, marking
// one reverted, deletes it).

const supabase = {
    tool: 'supabase',
    table: 'schema_migrations',
    schema: 'supabase_migrations',
    recognises: (columns) => columns.includes('version'),
    async read(sql, table) {
        const rows = await sql.unsafe(`select version from ${qualified(table)}`);
        return { entries: rows.map((r) => ({ key: r.version, by: 'version', state: 'applied' })) };
    },
};

;// CONCATENATED MODULE: ./src/db/adopt/index.ts












const READERS = {
    dbmate: dbmate_dbmate,
    'golang-migrate': golangMigrate,
    goose: goose_goose,
    'sql-migrate': sql_migrate_sqlMigrate,
    flyway: flyway_flyway,
    'node-pg-migrate': node_pg_migrate_nodePgMigrate,
    prisma: prisma_prisma,
    supabase: supabase,
};
const isTool = (t) => TOOLS.includes(t);
/** Tables named `names` in `schemas` (in that order of schemas), with their columns. */
async function tablesNamed(sql, names, schemas) {
    // Lists go as json: one parameter each, whatever the names hold.
    const rows = await sql.unsafe(`select n.nspname::text as schema, c.relname::text as name,
            (select string_agg(a.attname::text, ',' order by a.attnum) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join json_array_elements_text($1::json) with ordinality as s(name, pos) on s.name = n.nspname::text
      where c.relname::text in (select json_array_elements_text($2::json)) and c.relkind in ('r', 'p')
      order by s.pos`, 
    // The driver serialises a json parameter itself (JSON.stringify), as the server describes it.
    [schemas, names]);
    return rows.map((r) => ({ schema: r.schema, name: r.name, columns: r.columns ? r.columns.split(',') : [] }));
}
/** The schemas a tool's table is looked for in: the tracking schema first, then the search path. */
async function schemasFor(sql, reader, trackingSchema) {
    if (reader.schema)
        return [reader.schema];
    const [{ path }] = await sql `select current_schemas(false)::text[] as path`;
    return [...new Set([trackingSchema, ...path])];
}
/**
 * The other tool's history table, or undefined. golang-migrate's may already carry the name adoption
 * gave it (GOLANG_RENAMED); dbmate's and golang-migrate's share pgshift's name, so only the tracking
 * schema is theirs to look in.
 */
async function adopt_locate(sql, tool, trackingSchema) {
    const reader = READERS[tool];
    const sharesOurName = tool === 'dbmate' || tool === 'golang-migrate';
    const schemas = sharesOurName ? [trackingSchema] : await schemasFor(sql, reader, trackingSchema);
    const names = tool === 'golang-migrate' ? [reader.table, GOLANG_RENAMED] : [reader.table];
    const found = await tablesNamed(sql, names, schemas);
    return found.find((t) => reader.recognises(t.columns) && (t.name !== GOLANG_RENAMED || tool === 'golang-migrate'));
}
/** Where to look for each tool's table, and what a person is told to run. */
function whereLooked(tool, trackingSchema) {
    const reader = READERS[tool];
    return reader.schema ? `${reader.schema}.${reader.table}` : `${reader.table} (in schema ${trackingSchema}${tool === 'dbmate' || tool === 'golang-migrate' ? '' : ' or the search path'})`;
}
/**
 * Other tools' history tables holding rows, for the warning that `adopt --from <tool>` exists: dbmate's is
 * adopted on its own and golang-migrate's refuses by its shape, so they are not looked for here.
 */
async function otherTools(sql, trackingSchema) {
    const out = [];
    for (const tool of types_TOOLS) {
        if (tool === 'dbmate' || tool === 'golang-migrate')
            continue;
        const t = await adopt_locate(sql, tool, trackingSchema);
        if (!t)
            continue;
        const [{ any }] = await sql.unsafe(`select exists (select 1 from "${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}") as any`);
        if (any)
            out.push({ tool, table: shownTable(t) });
    }
    return out;
}

;// CONCATENATED MODULE: ./src/db/lock.ts
// One run at a time per tracking table. A session-level advisory lock, polled with pg_try_advisory_lock
// on the reserved connection that runs the migrations: the session holds no transaction while it
// waits or between migrations, so CREATE INDEX CONCURRENTLY never waits on the lock's own holder
// (the deadlock of transaction-scoped locks).



/** A stable 64-bit key for a tracking schema, split as pg_locks shows it (classid, objid). */
function lockKey(schema) {
    const digest = (0,external_node_crypto_.createHash)('sha256').update(`pgshift:${schema}.schema_migrations`).digest();
    const key = digest.readBigInt64BE(0);
    const unsigned = BigInt.asUintN(64, key);
    return { key: key.toString(), classid: Number(unsigned >> 32n), objid: Number(unsigned & 0xffffffffn) };
}
async function lockHolder(sql, schema) {
    const { classid, objid } = lockKey(schema);
    const rows = await sql `
    select a.pid, a.application_name, coalesce(a.xact_start, a.backend_start) as since, a.state
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and l.classid::text = ${String(classid)} and l.objid::text = ${String(objid)} and l.objsubid = 1
       -- Advisory locks are per database, but pg_locks lists every database's: the same key held
       -- by a run against another database on this server is not our holder.
       and l.database = (select oid from pg_database where datname = current_database())
       and l.pid <> pg_backend_pid()
     limit 1`;
    const r = rows[0];
    return r ? { pid: r.pid, applicationName: r.application_name, since: r.since, state: r.state } : undefined;
}
/** The machine and process of a pgshift run, from its application_name (`pgshift@<host>:<pid>`). */
function pgshiftProcess(applicationName) {
    const m = applicationName.match(/^pgshift@(.*):(\d+)$/);
    return m ? { host: m[1], pid: Number(m[2]) } : undefined;
}
function describeHolder(h) {
    if (!h)
        return 'another session (it let go before it could be named)';
    const run = pgshiftProcess(h.applicationName);
    const who = run ? `pgshift process ${run.pid} on ${run.host} (Postgres pid ${h.pid})` : `pid ${h.pid}${h.applicationName ? ` (${h.applicationName})` : ''}`;
    return `${who}${h.since ? `, connected since ${h.since.toISOString()}` : ''}${h.state ? `, ${h.state}` : ''}`;
}
async function acquireLock(sql, schema, waitMs, onEvent, signal) {
    const { key } = lockKey(schema);
    const started = Date.now();
    let delay = 50;
    let reported = 0;
    for (;;) {
        if (signal?.aborted)
            throw new AbortedError('interrupted while waiting for the migration lock; nothing ran');
        const [{ locked }] = await sql `select pg_try_advisory_lock(${key}::bigint) as locked`;
        const waited = Date.now() - started;
        if (locked) {
            onEvent?.({ type: 'lock-acquired', waitedMs: waited });
            return {
                async release() {
                    await sql `select pg_advisory_unlock(${key}::bigint)`;
                },
            };
        }
        if (waited >= waitMs) {
            const holder = await lockHolder(sql, schema);
            throw new LockError(`another migration run holds the lock on ${schema}.schema_migrations: ${describeHolder(holder)}. Waited ${waited < 10_000 ? `${(waited / 1000).toFixed(1)}s` : `${Math.round(waited / 1000)}s`}; wait for it to finish, raise --lock-wait, or stop that session.`, holder);
        }
        if (waited - reported >= 5000 || reported === 0) {
            reported = waited || 1;
            onEvent?.({ type: 'lock-wait', waitedMs: waited, holder: await lockHolder(sql, schema) });
        }
        await pause(Math.min(delay, waitMs - waited), signal);
        delay = Math.min(1000, delay * 2);
    }
}

;// CONCATENATED MODULE: ./src/db/transaction.ts
/** BEGIN … COMMIT on a reserved connection (which has no sql.begin); ROLLBACK when `fn` throws. */
async function inTransaction(sql, fn) {
    await sql.unsafe('begin');
    try {
        const out = await fn(sql);
        await sql.unsafe('commit');
        return out;
    }
    catch (err) {
        await sql.unsafe('rollback').catch(() => { });
        throw err;
    }
}

;// CONCATENATED MODULE: ./src/db/tracking.ts
// The tracking tables: which migrations are applied (schema_migrations) and every attempt ever made
// (migration_history). Created by the first run that writes; an existing dbmate table is adopted.




/** Columns of pgshift's schema_migrations; dbmate's table has only `version`. */
const OWN_COLUMNS = ['version', 'name', 'checksum', 'status', 'applied_at', 'execution_time_ms', 'error_message', 'applied_by'];
/** How to put back a column of schema_migrations that was dropped by hand (its values are gone). */
const COLUMN_FIX = {
    name: "name text not null default ''",
    // Rows without a checksum are reported as unverified until repaired.
    checksum: 'checksum text',
    status: "status text not null default 'applied' check (status in ('applied', 'running', 'failed'))",
    applied_at: 'applied_at timestamptz',
    execution_time_ms: 'execution_time_ms integer',
    error_message: 'error_message text',
    applied_by: 'applied_by text',
};
/** Columns of migration_history that pgshift writes, and how to put each back. */
const HISTORY_COLUMNS = {
    version: "version text not null default ''",
    name: 'name text',
    action: "action text not null default 'apply'",
    status: "status text not null default 'success'",
    environment: 'environment text',
    executed_by: 'executed_by text',
    executed_at: 'executed_at timestamptz not null default now()',
    execution_time_ms: 'execution_time_ms integer',
    error_message: 'error_message text',
    checksum: 'checksum text',
};
/** pgshift's schema_migrations, as the first run that writes creates it. */
function migrationsTableDdl(table) {
    return `create table ${table} (
            version text primary key,
            name text not null,
            checksum text not null,
            status text not null check (status in ('applied', 'running', 'failed')),
            applied_at timestamptz,
            execution_time_ms integer,
            error_message text,
            applied_by text)`;
}
/** pgshift's migration_history, as the first run that writes creates it. */
function historyTableDdl(table) {
    return `create table if not exists ${table} (
        id bigint generated always as identity primary key,
        version text not null,
        name text,
        action text not null check (action in ('apply', 'rollback', 'resolve', 'repair', 'adopt', 'baseline')),
        status text not null check (status in ('success', 'failed')),
        environment text,
        executed_by text,
        executed_at timestamptz not null default now(),
        execution_time_ms integer,
        error_message text,
        checksum text)`;
}
/** golang-migrate's schema_migrations(version, dirty), which has pgshift's table name. */
function isGolangMigrateShape(columns) {
    return columns.length === 2 && columns.includes('version') && columns.includes('dirty');
}
/** A name as it is written in SQL a user can paste: bare when it may be, quoted otherwise. */
function tracking_sqlName(name) {
    return /^[a-z_][a-z0-9_]*$/.test(name) ? name : quoteIdent(name);
}
/** A Postgres error's SQLSTATE, if it is one. */
function sqlState(err) {
    const code = err?.code;
    return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
class Tracking {
    schema;
    migrations;
    history;
    constructor(schema) {
        this.schema = schema;
        this.migrations = `${quoteIdent(schema)}.schema_migrations`;
        this.history = `${quoteIdent(schema)}.migration_history`;
    }
    /** The tables as a user writes them in a GRANT or an ALTER: `public.schema_migrations`. */
    shown(table) {
        return `${tracking_sqlName(this.schema)}.${table}`;
    }
    /**
     * What the role may do, read from the catalogs: asking never fails, where a query on a table the role
     * may not read fails with a bare "permission denied" (and aborts a read-only transaction).
     */
    async access(sql) {
        const [r] = await sql `
      select current_user::text as role,
             current_database()::text as database,
             n.oid is not null as schema_exists,
             has_schema_privilege(n.oid, 'USAGE') as schema_usage,
             has_schema_privilege(n.oid, 'CREATE') as schema_create,
             has_database_privilege(current_database(), 'CREATE') as database_create,
             m.oid is not null as m_exists,
             has_table_privilege(m.oid, 'SELECT') as m_select,
             has_table_privilege(m.oid, 'INSERT') as m_insert,
             has_table_privilege(m.oid, 'UPDATE') as m_update,
             has_table_privilege(m.oid, 'DELETE') as m_delete,
             (select string_agg(a.attname::text, ',' order by a.attnum) from pg_attribute a where a.attrelid = m.oid and a.attnum > 0 and not a.attisdropped) as m_columns,
             h.oid is not null as h_exists,
             has_table_privilege(h.oid, 'INSERT') as h_insert,
             (select string_agg(a.attname::text, ',' order by a.attnum) from pg_attribute a where a.attrelid = h.oid and a.attnum > 0 and not a.attisdropped) as h_columns
        from (select 1) as one
        left join pg_namespace n on n.nspname = ${this.schema}
        left join pg_class m on m.relnamespace = n.oid and m.relname = 'schema_migrations'
        left join pg_class h on h.relnamespace = n.oid and h.relname = 'migration_history'`;
        const list = (text) => (text ? text.split(',') : []);
        return {
            role: r.role,
            database: r.database,
            schemaExists: r.schema_exists,
            schemaUsage: !!r.schema_usage,
            schemaCreate: !!r.schema_create,
            databaseCreate: r.database_create,
            migrations: r.m_exists ? { select: !!r.m_select, insert: !!r.m_insert, update: !!r.m_update, delete: !!r.m_delete, columns: list(r.m_columns) } : null,
            history: r.h_exists ? { insert: !!r.h_insert, columns: list(r.h_columns) } : null,
        };
    }
    /** The refusal for a missing privilege: what the role may not do, and the GRANT that fixes it. */
    denied(a, doing, grant) {
        return new ConfigError(`the role ${a.role} may not ${doing} (permission denied). As the owner of the tracking tables or a superuser, run: ${grant} TO ${tracking_sqlName(a.role)};`);
    }
    /** Refuses a role that could not even look into the tracking schema. */
    checkUsage(a) {
        if (a.schemaExists && !a.schemaUsage)
            throw this.denied(a, `use schema ${tracking_sqlName(this.schema)}, where the tracking tables are`, `GRANT USAGE ON SCHEMA ${tracking_sqlName(this.schema)}`);
    }
    /**
     * Refuses, before anything is written, a role that could not record what it runs: otherwise a
     * migration could run and then fail on its own tracking row.
     */
    checkWrite(a) {
        this.checkUsage(a);
        const m = a.migrations;
        if (m) {
            const missing = ['select', 'insert', 'update', 'delete'].filter((p) => !m[p]).map((p) => p.toUpperCase());
            if (missing.length)
                throw this.denied(a, `${missing.join(', ')} on ${this.shown('schema_migrations')}`, `GRANT ${missing.join(', ')} ON ${this.shown('schema_migrations')}`);
        }
        if (a.history && !a.history.insert)
            throw this.denied(a, `INSERT into ${this.shown('migration_history')}`, `GRANT INSERT ON ${this.shown('migration_history')}`);
        if ((!m || !a.history) && a.schemaExists && !a.schemaCreate) {
            const missing = !m ? 'schema_migrations and migration_history' : 'migration_history';
            throw this.denied(a, `create ${missing} in schema ${tracking_sqlName(this.schema)}`, `GRANT CREATE ON SCHEMA ${tracking_sqlName(this.schema)}`);
        }
        if (!a.schemaExists && !a.databaseCreate)
            throw this.denied(a, `create schema ${tracking_sqlName(this.schema)} for the tracking tables`, `GRANT CREATE ON DATABASE ${tracking_sqlName(a.database)}`);
        if (a.history)
            this.checkColumns('migration_history', a.history.columns, HISTORY_COLUMNS);
    }
    /** Refuses a pgshift table that lost columns (altered by hand), naming them and the ALTER that puts them back. */
    checkColumns(table, columns, fixes) {
        const missing = Object.keys(fixes).filter((c) => !columns.includes(c));
        if (!missing.length)
            return;
        throw new ConfigError(`${this.shown(table)} has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''} (the table was altered by hand). Put ${missing.length > 1 ? 'them' : 'it'} back with: ALTER TABLE ${this.shown(table)} ${missing.map((c) => `ADD COLUMN ${fixes[c]}`).join(', ')};`);
    }
    /**
     * A permission or missing-column error the checks above did not foresee, in words naming the tracking
     * table; anything else goes on as it is.
     */
    explained(err) {
        const state = sqlState(err);
        const detail = err.message;
        if (state === '42501' && /must be owner/.test(detail)) {
            return new ConfigError(`the tracking tables in schema ${tracking_sqlName(this.schema)} cannot be changed by this role: ${detail}. Adopting dbmate's schema_migrations alters the table, which only its owner may do: run this first pgshift up or down as the table's owner.`);
        }
        if (state === '42501') {
            return new ConfigError(`the tracking tables in schema ${tracking_sqlName(this.schema)} cannot be used: ${detail}. Grant the role running pgshift USAGE on the schema, SELECT, INSERT, UPDATE and DELETE on ${this.shown('schema_migrations')} and INSERT on ${this.shown('migration_history')}.`);
        }
        if (state === '42703' || state === '42P01') {
            return new ConfigError(`the tracking tables in schema ${tracking_sqlName(this.schema)} do not have the shape pgshift made them with: ${detail}. Put back what was dropped or renamed by hand.`);
        }
        return err;
    }
    /** Columns of schema_migrations, or null when it does not exist. Read-only. */
    async columns(sql) {
        const a = await this.access(sql);
        this.checkUsage(a);
        return a.migrations ? a.migrations.columns : null;
    }
    /**
     * Refuses a schema_migrations that is neither pgshift's nor dbmate's (golang-migrate's version+dirty,
     * say). Checked on every read, before its rows are taken for applied migrations: read as ours, such a
     * table would be reported as out-of-order or missing migrations instead of as the wrong table.
     */
    checkShape(columns) {
        if (isGolangMigrateShape(columns)) {
            throw new ConfigError(`${this.schema}.schema_migrations has the columns version, dirty: this is golang-migrate's table: run pgshift adopt --from golang-migrate to take over its history (golang-migrate's row is kept, renamed to golang_migrate_schema_migrations), or use --schema to keep pgshift's tables in another schema.`);
        }
        if (!columns.includes('version') || columns.some((c) => !OWN_COLUMNS.includes(c))) {
            throw new ConfigError(`${this.schema}.schema_migrations exists but is neither pgshift's nor dbmate's (columns: ${columns.join(', ')}). Use --schema to keep pgshift's tables in another schema.`);
        }
        // dbmate's table has `version` alone; with more, it is pgshift's and must have every column.
        if (columns.length > 1)
            this.checkColumns('schema_migrations', columns, COLUMN_FIX);
    }
    /** Rows of schema_migrations; [] when the table does not exist. Read-only. */
    /**
     * `adoptionPending`: a dry run reads the database as if an adoption were done, so golang-migrate's
     * table in pgshift's place (which the adoption renames) counts as no tracking table yet.
     */
    selectRows(sql) {
        return sql.unsafe(`select version::text as version, name, checksum, status, applied_at, execution_time_ms, error_message, applied_by from ${this.migrations}`);
    }
    /**
     * What schema_migrations holds. `pipelined`: the rows are asked for in the same round trip as the access
     * check, before knowing the table is there (a no-op deploy is then one round trip). Only outside a
     * transaction: there, a query on a missing table would abort it.
     */
    async read(sql, o = {}) {
        const early = o.pipelined ? this.selectRows(sql) : undefined;
        // Settled whatever happens, so that a failure of the early read is never unhandled.
        const earlyRows = early?.then((rows) => ({ rows }), () => undefined);
        const access = await this.access(sql);
        this.checkUsage(access);
        const columns = access.migrations?.columns ?? null;
        if (columns === null || (o.adoptionPending && isGolangMigrateShape(columns)))
            return { exists: false, rows: [] };
        if (!access.migrations.select)
            throw this.denied(access, `read ${this.shown('schema_migrations')}`, `GRANT SELECT ON ${this.shown('schema_migrations')}`);
        this.checkShape(columns);
        if (!columns.includes('checksum')) {
            // A dbmate table not adopted yet: its versions are applied, their checksums unknown.
            const rows = await sql.unsafe(`select version::text as version from ${this.migrations}`);
            return {
                exists: true,
                unadopted: true,
                rows: rows.map((r) => ({ version: r.version, name: '', checksum: '', status: 'applied', appliedAt: null, executionTimeMs: null, errorMessage: null, appliedBy: null })),
            };
        }
        const rows = (await earlyRows)?.rows ?? (await this.selectRows(sql));
        return {
            exists: true,
            rows: rows.map((r) => ({
                version: r.version,
                name: r.name,
                checksum: r.checksum,
                status: r.status,
                appliedAt: r.applied_at,
                executionTimeMs: r.execution_time_ms,
                errorMessage: r.error_message,
                appliedBy: r.applied_by,
            })),
        };
    }
    /**
     * Creates the tables if missing, or adopts a dbmate schema_migrations(version) table. Runs under the
     * migration lock. Returns what it did, for the log.
     */
    async ensure(sql, files, actor, environment) {
        try {
            return await this.ensureTables(sql, files, actor, environment);
        }
        catch (err) {
            throw this.explained(err);
        }
    }
    async ensureTables(sql, files, actor, environment) {
        const access = await this.access(sql);
        this.checkWrite(access);
        const columns = access.migrations?.columns ?? null;
        const has_schema = access.schemaExists;
        const historyDdl = historyTableDdl(this.history);
        if (columns !== null && columns.includes('checksum')) {
            // CREATE TABLE IF NOT EXISTS needs CREATE on the schema even when the table is there: a role
            // that may only write the tracking rows must not need it.
            if (!access.history)
                await sql.unsafe(historyDdl);
            return 'exists';
        }
        if (columns === null) {
            await inTransaction(sql, async (tx) => {
                if (!has_schema)
                    await tx.unsafe(`create schema if not exists ${quoteIdent(this.schema)}`);
                await tx.unsafe(migrationsTableDdl(this.migrations));
                await tx.unsafe(historyDdl);
            });
            return 'created';
        }
        this.checkShape(columns);
        // dbmate's table: add our columns, keep its rows, fill checksums from the files as they are now.
        let adopted = 0;
        await inTransaction(sql, async (tx) => {
            await tx.unsafe(`alter table ${this.migrations}
          add column if not exists name text,
          add column if not exists checksum text,
          add column if not exists status text,
          add column if not exists applied_at timestamptz,
          add column if not exists execution_time_ms integer,
          add column if not exists error_message text,
          add column if not exists applied_by text`);
            await tx.unsafe(historyDdl);
            const rows = await tx.unsafe(`select version::text as version from ${this.migrations}`);
            for (const { version } of rows) {
                const match = files.get(versionId(version));
                const name = match?.file.name ?? '';
                const sum = match?.checksum() ?? 'unknown';
                await tx.unsafe(`update ${this.migrations} set name = $1, checksum = $2, status = 'applied', applied_by = $3 where version = $4`, [name, sum, actor, version]);
                await tx.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, checksum, error_message) values ($1, $2, 'resolve', 'success', $3, $4, $5, $6)`, [
                    version,
                    name,
                    environment,
                    actor,
                    sum,
                    'adopted from dbmate schema_migrations',
                ]);
                adopted++;
            }
            await tx.unsafe(`alter table ${this.migrations}
          alter column name set not null,
          alter column checksum set not null,
          alter column status set not null,
          add constraint schema_migrations_status_check check (status in ('applied', 'running', 'failed'))`);
        });
        return { adopted };
    }
    /**
     * The first query of a migration's transaction when it is pipelined behind another: it fails (and so
     * aborts this transaction, and through the same guard each one after it) unless the migration before it
     * committed. Whatever the client library does after a failure (postgres.js ends each query with its own
     * Sync, so a later BEGIN starts afresh), nothing after a failed migration runs or commits.
     */
    guardAfter(previous) {
        // Up: its row must be there and applied; down: gone. The cast fails at run time because the CASE
        // reads the count: a prepared statement's custom plan would fold a cast of constants while planning.
        const [where, missing] = previous.direction === 'up' ? [`version = $1 and status = 'applied'`, 'count(*) = 0'] : ['version = $1', 'count(*) > 0'];
        return {
            text: `select (case when ${missing} then 'pgshift: migration ' || $1 || ' before this one did not commit, so this one does not run' else '0' end)::integer from ${this.migrations} where ${where}`,
            params: [previous.version],
        };
    }
    /** SQL and parameters that record a finished step; run inside the step's transaction. */
    recordSuccess(step, ms, actor, environment) {
        // Inside a pipelined transaction the duration is not known yet: the server measures it from BEGIN.
        const duration = `coalesce($6::integer, (extract(epoch from clock_timestamp() - now()) * 1000)::integer)`;
        if (step.direction === 'up') {
            return {
                text: `with h as (insert into ${this.history} (version, name, action, status, environment, executed_by, execution_time_ms, checksum)
                 values ($1, $2, 'apply', 'success', $5, $4, ${duration}, $3))
               insert into ${this.migrations} (version, name, checksum, status, applied_at, execution_time_ms, applied_by)
               values ($1, $2, $3, 'applied', now(), ${duration}, $4)
               on conflict (version) do update set name = excluded.name, checksum = excluded.checksum, status = 'applied',
                 applied_at = excluded.applied_at, execution_time_ms = excluded.execution_time_ms, error_message = null, applied_by = excluded.applied_by`,
                params: [step.version, step.name, step.checksum, actor, environment, ms === null ? null : Math.round(ms)],
            };
        }
        return {
            // error_message carries a note for a successful rollback (the down section was empty), as for a repair.
            text: `with h as (insert into ${this.history} (version, name, action, status, environment, executed_by, execution_time_ms, checksum, error_message)
               values ($1, $2, 'rollback', 'success', $4, $3, ${duration}, $5, $7::text))
             delete from ${this.migrations} where version = $1`,
            params: [step.version, step.name, actor, environment, step.checksum, ms === null ? null : Math.round(ms), step.note ?? null],
        };
    }
    async recordFailure(sql, step, ms, error, actor, environment) {
        await sql.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, execution_time_ms, error_message, checksum)
       values ($1, $2, $3, 'failed', $4, $5, $6, $7, $8)`, [step.version, step.name, step.direction === 'up' ? 'apply' : 'rollback', environment, actor, Math.round(ms), error, step.checksum]);
    }
    /** Marks a non-transactional step as running before its first statement. */
    async markRunning(sql, step, actor) {
        await sql.unsafe(`insert into ${this.migrations} (version, name, checksum, status, applied_at, applied_by) values ($1, $2, $3, 'running', now(), $4)
       on conflict (version) do update set status = 'running', error_message = null, applied_by = excluded.applied_by`, [step.version, step.name, step.checksum, actor]);
    }
    async markFailed(sql, version, ms, error) {
        await sql.unsafe(`update ${this.migrations} set status = 'failed', execution_time_ms = $2, error_message = $3 where version = $1`, [version, Math.round(ms), error]);
    }
    /** `pgshift resolve`: settles a failed or running row by hand. */
    async resolve(sql, row, as, actor, environment) {
        this.checkWrite(await this.access(sql));
        await inTransaction(sql, async (tx) => {
            if (as === 'applied') {
                await tx.unsafe(`update ${this.migrations} set status = 'applied', error_message = null, applied_by = $2 where version = $1`, [row.version, actor]);
            }
            else {
                await tx.unsafe(`delete from ${this.migrations} where version = $1`, [row.version]);
            }
            await tx.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, checksum, error_message) values ($1, $2, 'resolve', 'success', $3, $4, $5, $6)`, [
                row.version,
                row.name,
                environment,
                actor,
                row.checksum,
                `resolved as ${as} (was ${row.status}${row.errorMessage ? `: ${row.errorMessage}` : ''})`,
            ]);
        });
    }
    /**
     * `pgshift repair`: accepts the current checksum of applied migrations whose files changed, in one
     * transaction under the caller's lock. Each gets schema_migrations.checksum updated and a history row
     * with action `repair`: `checksum` holds the new checksum and `error_message` the note
     * `repair: checksum <old> -> <new>; reason: <reason>` (`<old>` is `none` for a row without one), so
     * existing history tables need no new column.
     */
    async repair(sql, changes, reason, actor, environment) {
        const access = await this.access(sql);
        this.checkWrite(access);
        try {
            await inTransaction(sql, async (tx) => {
                await this.allowRepairAction(tx, access.role);
                for (const c of changes) {
                    const updated = await tx.unsafe(`update ${this.migrations} set checksum = $2 where version = $1 and status = 'applied' and checksum is not distinct from $3`, [
                        c.version,
                        c.currentChecksum,
                        c.storedChecksum,
                    ]);
                    // Under the lock nothing else writes these rows; a miss means the table was edited by hand meanwhile.
                    if (updated.count !== 1)
                        throw new ConfigError(`the row of migration ${c.version} in ${this.shown('schema_migrations')} changed while it was being repaired: nothing was written. Run repair again.`);
                    await tx.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, checksum, error_message) values ($1, $2, 'repair', 'success', $3, $4, $5, $6)`, [
                        c.version,
                        c.name,
                        environment,
                        actor,
                        c.currentChecksum,
                        repairNote(c, reason),
                    ]);
                }
            });
        }
        catch (err) {
            throw this.explained(err);
        }
    }
    /**
     * `adopt` and `baseline`: records migrations as applied (or failed) without running them, in one
     * transaction under the caller's lock. `before` runs first in that transaction (golang-migrate's table
     * is renamed there); the tracking tables are created if missing, dbmate's schema_migrations is given
     * pgshift's columns, and each row gets a history row with `action` and its note.
     */
    async recordWithoutRunning(sql, rows, action, actor, environment, before) {
        const first = await this.access(sql);
        this.checkUsage(first);
        try {
            await inTransaction(sql, async (tx) => {
                await before?.(tx);
                const a = await this.access(tx);
                this.checkWrite(a);
                if (!a.schemaExists)
                    await tx.unsafe(`create schema if not exists ${quoteIdent(this.schema)}`);
                const dbmateTable = a.migrations && !a.migrations.columns.includes('checksum');
                if (!a.migrations)
                    await tx.unsafe(migrationsTableDdl(this.migrations));
                else if (dbmateTable) {
                    await tx.unsafe(`alter table ${this.migrations}
              add column if not exists name text, add column if not exists checksum text, add column if not exists status text,
              add column if not exists applied_at timestamptz, add column if not exists execution_time_ms integer,
              add column if not exists error_message text, add column if not exists applied_by text`);
                }
                if (!a.history)
                    await tx.unsafe(historyTableDdl(this.history));
                else
                    await this.allowAction(tx, a.role, action);
                for (const r of rows) {
                    await tx.unsafe(`insert into ${this.migrations} (version, name, checksum, status, error_message, applied_by) values ($1, $2, $3, $4, $5, $6)
             on conflict (version) do update set name = excluded.name, checksum = excluded.checksum, status = excluded.status, error_message = excluded.error_message, applied_by = excluded.applied_by`, [r.version, r.name, r.checksum, r.status, r.errorMessage, actor]);
                    await tx.unsafe(`insert into ${this.history} (version, name, action, status, environment, executed_by, checksum, error_message) values ($1, $2, $3, 'success', $4, $5, $6, $7)`, [
                        r.version,
                        r.name,
                        action,
                        environment,
                        actor,
                        r.checksum,
                        r.note,
                    ]);
                }
                if (dbmateTable) {
                    await tx.unsafe(`update ${this.migrations} set name = coalesce(name, ''), checksum = coalesce(checksum, ''), status = coalesce(status, 'applied')`);
                    await tx.unsafe(`alter table ${this.migrations}
              alter column name set not null, alter column checksum set not null, alter column status set not null,
              add constraint schema_migrations_status_check check (status in ('applied', 'running', 'failed'))`);
                }
            });
        }
        catch (err) {
            throw this.explained(err);
        }
    }
    /** Whether migration_history holds a row of `action` whose note starts with `note`. Read-only. */
    async hasHistory(sql, action, note) {
        const a = await this.access(sql);
        if (!a.history)
            return false;
        const [{ found }] = await sql.unsafe(`select exists (select 1 from ${this.history} where action = $1 and starts_with(coalesce(error_message, ''), $2)) as found`, [
            action,
            note,
        ]);
        return found;
    }
    /**
     * A history table made before `action` existed checks action against fewer values: add it to that
     * check (in the caller's transaction), or say what the table's owner must run.
     */
    async allowAction(tx, role, action) {
        const checks = await tx.unsafe(`select conname::text as name, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = to_regclass($1) and contype = 'c'`, [this.history]);
        for (const c of checks.filter((x) => /\baction\b/.test(x.def) && x.def.includes("'apply'") && !x.def.includes(`'${action}'`))) {
            // Every action pgshift writes today, so that widening for one never has to be redone for another.
            const allowed = [...new Set([...[...c.def.matchAll(/'([a-z_-]+)'/g)].map((m) => m[1]), 'repair', 'adopt', 'baseline', action])];
            const alter = `ALTER TABLE ${this.shown('migration_history')} DROP CONSTRAINT ${tracking_sqlName(c.name)}, ADD CONSTRAINT ${tracking_sqlName(c.name)} CHECK (action IN (${allowed.map((x) => `'${x}'`).join(', ')}))`;
            try {
                await tx.unsafe(alter);
            }
            catch (err) {
                if (sqlState(err) !== '42501')
                    throw err;
                throw new ConfigError(`${this.shown('migration_history')} was created before pgshift recorded ${action}: its check on action does not allow it, and the role ${role} may not change it (${err.message}). As the owner of the table, run: ${alter}; then run ${action} again.`);
            }
        }
    }
    /**
     * A history table made before `repair` existed checks action against apply, rollback and resolve
     * only: widen that check (in the caller's transaction), or say what the table's owner must run.
     */
    async allowRepairAction(tx, role) {
        const checks = await tx.unsafe(`select conname::text as name, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = to_regclass($1) and contype = 'c'`, [this.history]);
        for (const c of checks.filter((x) => /\baction\b/.test(x.def) && x.def.includes("'resolve'") && !x.def.includes("'repair'"))) {
            const alter = `ALTER TABLE ${this.shown('migration_history')} DROP CONSTRAINT ${tracking_sqlName(c.name)}, ADD CONSTRAINT ${tracking_sqlName(c.name)} CHECK (action IN ('apply', 'rollback', 'resolve', 'repair'))`;
            try {
                await tx.unsafe(alter);
            }
            catch (err) {
                if (sqlState(err) !== '42501')
                    throw err;
                throw new ConfigError(`${this.shown('migration_history')} was created before pgshift recorded repairs: its check on action allows apply, rollback and resolve only, and the role ${role} may not change it (${err.message}). As the owner of the table, run: ${alter}; then run repair again.`);
            }
        }
    }
}
/** The history row's note for a repair; the format is documented in the README (Tracking tables). */
function repairNote(c, reason) {
    return `repair: checksum ${c.storedChecksum || 'none'} -> ${c.currentChecksum}; reason: ${reason}`;
}

;// CONCATENATED MODULE: ./src/report/redact.ts
// Database passwords never reach a log, comment, issue, summary or error: every string that leaves
// the engine can be passed through a Redactor that knows the secrets of the URL in use.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]+)(?::([^@/\s]*))?@/gi;
/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`. */
function redactUrl(text) {
    return text.replace(URL_CREDENTIALS, (_m, scheme, user, pass) => `${scheme}${user}${pass !== undefined ? ':***' : ''}@`);
}
class Redactor {
    secrets = [];
    /** Remembers the password of a connection URL (raw and percent-decoded) and `password=` parameters. */
    addUrl(url) {
        if (!url)
            return this;
        try {
            const parsed = new URL(url);
            if (parsed.password)
                this.add(parsed.password).add(decodeURIComponent(parsed.password));
            const param = parsed.searchParams.get('password');
            if (param)
                this.add(param);
        }
        catch {
            /* not a URL: redactUrl still covers the user:pass@ shape */
        }
        return this;
    }
    add(secret) {
        // Very short secrets would shred ordinary words; the URL pattern still covers them in URLs.
        if (secret && secret.length >= 4 && !this.secrets.includes(secret))
            this.secrets.push(secret);
        this.secrets.sort((a, b) => b.length - a.length);
        return this;
    }
    get values() {
        return this.secrets;
    }
    redact(text) {
        let out = redactUrl(text);
        for (const s of this.secrets)
            out = out.split(s).join('***');
        return out;
    }
}

;// CONCATENATED MODULE: ./src/commands/session.ts
// The frame every database command runs in, written once: the directory is read before connecting,
// the connection is retried, the migration lock is taken on a reserved connection and released before
// it is returned, and every error leaves with credentials redacted.








/** The redactor a command reports through: the caller's, taught the URL in use. */
function redactorFor(o) {
    return (o.redactor ?? new Redactor()).addUrl(o.databaseUrl);
}
/** Every failure leaves with credentials redacted. */
function redacted(err, redactor) {
    if (err instanceof Error)
        err.message = redactor.redact(err.message);
    return err;
}
/** Opens a session, runs `fn`, closes the connection; the directory is checked before connecting. */
async function withSession(o, fn) {
    const catalog = new catalog_Catalog(o.dir);
    const redactor = redactorFor(o);
    if (!o.databaseUrl)
        throw new ConfigError('no database given: pass --database-url or set DATABASE_URL.');
    const connectTimeoutMs = o.connectTimeoutMs ?? SETTINGS.connectTimeout.default;
    const options = { databaseUrl: o.databaseUrl, connectTimeoutMs, refusedRetryMs: o.connectTimeoutGiven ? connectTimeoutMs : REFUSED_RETRY_MS, redactor, signal: o.signal };
    const { sql, lifeline } = await connect({ ...options, onEvent: o.onEvent });
    const reopen = async () => {
        // A server that is restarting refuses for a moment: a few seconds, refused or not, then give up.
        const again = await connect({ ...options, connectTimeoutMs: Math.min(connectTimeoutMs, REFUSED_RETRY_MS), refusedRetryMs: REFUSED_RETRY_MS });
        again.lifeline.arm();
        return {
            sql: again.sql,
            close: async () => {
                again.lifeline.disarm();
                await again.sql.end({ timeout: 1 }).catch(() => { });
            },
        };
    };
    try {
        return await fn({ sql, redactor, tracking: new Tracking(o.schema ?? SETTINGS.schema.default), catalog, lifeline, reopen });
    }
    catch (err) {
        // A query that failed because the connection went away (outside a migration: the engine names a
        // migration that was running itself) says so, instead of an "unexpected error".
        if (lifeline.lost && !(err instanceof PgshiftError)) {
            throw redacted(new ConnectionError(`the connection to Postgres at ${whereOf(lifeline.target)} was lost: ${lifeline.reason}. No migration was running at the time; run the command again once the server is reachable.`), redactor);
        }
        throw redacted(err, redactor);
    }
    finally {
        lifeline.disarm();
        // A lost connection leaves postgres.js waiting for an answer that will never come: don't wait.
        await sql.end({ timeout: lifeline.lost ? 0 : 5 }).catch(() => { });
    }
}
/** Runs `fn` on a reserved connection holding the migration lock; unlocks before release, always. */
async function withLock(s, o, fn) {
    const reserved = guarded(await s.sql.reserve(), s.lifeline);
    try {
        const lock = await acquireLock(reserved, s.tracking.schema, o.lockWaitMs ?? SETTINGS.lockWait.default, o.onEvent, o.signal);
        try {
            return await fn(reserved);
        }
        finally {
            await lock.release().catch(() => { });
        }
    }
    finally {
        reserved.release();
    }
}
/** Who runs a command when the shell does not say: the OS user. */
function defaultActor() {
    try {
        return (0,external_node_os_namespaceObject.userInfo)().username;
    }
    catch {
        return 'unknown';
    }
}

;// CONCATENATED MODULE: ./src/commands/adopt.ts
// `adopt --from <tool>`: takes over a database another migration tool has been migrating. Its history
// table is read as that tool reads it, each applied migration is matched to its file (by version where
// the tool keys by version, by file or folder name where it keys by name), and recorded in pgshift's
// tables as applied without running it, with the file's current checksum and a history row `adopt`:
// one transaction, under the migration lock. The other tool's rows are left as they are, so a team can
// go back; golang-migrate's table, which has pgshift's name, is renamed in that transaction.









/** The note on each history row adoption writes; also how a later run knows it was done. */
const adoptedNote = (tool, table) => `adopted from ${tool} ${table}`;
/** The names a tool keying by name may know a file by: its file name, without `.sql`, and a Prisma folder's name. */
function nameKeys(file) {
    const base = (0,external_node_path_namespaceObject.basename)(file.upPath);
    const keys = [base, base.replace(/\.sql$/i, '')];
    if (base === 'migration.sql')
        keys.push((0,external_node_path_namespaceObject.basename)((0,external_node_path_namespaceObject.dirname)(file.upPath)));
    return keys;
}
/** What a person reads first when an adoption is refused or recorded: the table and the tool. */
function tableOf(t, tool) {
    return tool === 'golang-migrate' && t.name === 'schema_migrations' ? `${t.schema}.${GOLANG_RENAMED}` : shownTable(t);
}
/** How to go back to the other tool, and what became of its table. */
function wayBack(tool, t, schema) {
    if (tool === 'golang-migrate') {
        const renamed = `${t.schema}.${GOLANG_RENAMED}`;
        return [
            `golang-migrate's table is now ${renamed} (its row untouched): pgshift's own tables take the name ${schema}.schema_migrations. golang-migrate keeps working against it with ?x-migrations-table=${GOLANG_RENAMED} in its database URL.`,
            `To go back: drop pgshift's ${schema}.schema_migrations and ${schema}.migration_history, then ALTER TABLE ${renamed} RENAME TO schema_migrations; ALTER TABLE ${t.schema}.schema_migrations RENAME CONSTRAINT ${GOLANG_RENAMED}_pkey TO schema_migrations_pkey;`,
        ];
    }
    if (tool === 'dbmate') {
        return [
            `dbmate's ${shownTable(t)} is now pgshift's: its rows are kept, with pgshift's columns added. dbmate still reads it, but cannot insert into it (the new columns are NOT NULL).`,
            `To go back: ALTER TABLE ${shownTable(t)} DROP COLUMN name, DROP COLUMN checksum, DROP COLUMN status, DROP COLUMN applied_at, DROP COLUMN execution_time_ms, DROP COLUMN error_message, DROP COLUMN applied_by; and drop ${schema}.migration_history.`,
        ];
    }
    return [
        `${shownTable(t)} is left as it was, so ${tool} can take over again: drop pgshift's ${schema}.schema_migrations and ${schema}.migration_history to go back. pgshift does not read ${shownTable(t)} again: a migration ${tool} applies from now on is not seen by pgshift.`,
    ];
}
/** Renames golang-migrate's table (and its primary key) out of the way of pgshift's schema_migrations. */
async function moveGolangTable(tx, t) {
    await tx.unsafe(`alter table ${qualified(t)} rename to ${GOLANG_RENAMED}`);
    const moved = qualified({ schema: t.schema, name: GOLANG_RENAMED });
    const [pk] = await tx.unsafe(`select conname::text as name from pg_constraint where conrelid = $1::regclass and contype = 'p'`, [moved]);
    // Its primary key's index would take the name pgshift's table needs for its own.
    if (pk?.name === 'schema_migrations_pkey')
        await tx.unsafe(`alter table ${moved} rename constraint schema_migrations_pkey to ${GOLANG_RENAMED}_pkey`);
}
/** Each entry of the other tool with its file, by version or by name. */
function match(catalog, entries) {
    const byName = new Map();
    for (const f of catalog.files)
        for (const k of nameKeys(f))
            if (!byName.has(k))
                byName.set(k, f);
    return entries.map((entry) => ({ entry, file: entry.by === 'version' ? catalog.find(entry.key) : byName.get(entry.key) }));
}
/** The version a file-less entry is recorded under (--allow-missing): its key, or a name's leading number. */
function missingVersion(entry) {
    if (entry.by === 'version')
        return { version: entry.key, name: '' };
    const m = /^(\d+)(?:_(.*?))?(?:\.sql)?$/i.exec(entry.key);
    return m ? { version: m[1], name: m[2] ?? '' } : undefined;
}
function describeList(keys) {
    return keys.length > 10 ? `${keys.slice(0, 10).join(', ')} and ${keys.length - 10} more` : keys.join(', ');
}
/** Reads the other tool's history and decides, under the lock, what to record; writes unless a dry run. */
async function adoptLocked(o, catalog, tracking, sql) {
    const tool = o.from;
    const schema = tracking.schema;
    const table = await adopt_locate(sql, tool, schema);
    const base = { tool, dryRun: !!o.dryRun, adopted: [], missing: [], rerun: [], kept: [], notes: [] };
    if (!table) {
        // dbmate's table, once adopted, is pgshift's own: there is nothing left to take over.
        const columns = await tracking.columns(sql);
        if (tool === 'dbmate' && columns?.includes('checksum')) {
            return { ...base, table: `${schema}.schema_migrations`, alreadyAdopted: true, notes: [`${schema}.schema_migrations is already pgshift's (adopted from dbmate earlier).`] };
        }
        throw new ConfigError(`no ${tool} history table was found: pgshift looked for ${whereLooked(tool, schema)}. Check that --database-url is the database ${tool} migrated${READERS[tool].schema ? '' : ', and --schema the schema its table is in'}.`);
    }
    const shown = tableOf(table, tool);
    if (await tracking.hasHistory(sql, 'adopt', `${adoptedNote(tool, '')}`)) {
        return { ...base, table: shown, alreadyAdopted: true, notes: [`${tool}'s history was adopted before (see migration_history, action adopt): nothing to do.`] };
    }
    const blocking = catalog.nameProblems.filter((p) => p.blocking);
    if (blocking.length)
        throw new ConfigError(`the migrations directory must be fixed before adopting:\n${blocking.map((p) => `  - ${p.message}`).join('\n')}`);
    const history = await READERS[tool].read(sql, table, { versions: catalog.files.map((f) => f.version) });
    if (history.refusal)
        throw new ConfigError(history.refusal);
    // dbmate's table and golang-migrate's (before its rename) are where pgshift's rows would be: none yet.
    const shared = tool === 'dbmate' || (tool === 'golang-migrate' && table.name === 'schema_migrations');
    const ours = shared ? [] : (await tracking.read(sql)).rows;
    const known = new Set(ours.map((r) => versionId(r.version)));
    const matched = match(catalog, history.entries);
    if (history.upTo) {
        const upTo = history.upTo;
        const listed = new Set(matched.filter((m) => m.file).map((m) => m.file));
        for (const f of catalog.files) {
            if (compareVersions(f.version, upTo.version) <= 0 && !listed.has(f))
                matched.push({ entry: { key: f.version, by: 'version', state: 'applied', note: upTo.why }, file: f });
        }
        // golang-migrate's current version is a migration it ran: its file must be there.
        if (tool === 'golang-migrate' && !catalog.find(upTo.version))
            matched.push({ entry: { key: upTo.version, by: 'version', state: 'applied' } });
    }
    const report = { ...base, table: shown, alreadyAdopted: false };
    const rows = [];
    const modified = [];
    const note = adoptedNote(tool, shown);
    for (const { entry, file } of matched) {
        if (!file) {
            report.missing.push(entry.key);
            continue;
        }
        if (known.has(versionId(file.version))) {
            report.kept.push(file.version);
            continue;
        }
        const checksum = catalog.checksum(file);
        if (checksum === undefined) {
            const err = catalog.load(file);
            throw new ConfigError(`migration ${file.version} cannot be adopted: ${err.message}`);
        }
        if (entry.flywayChecksum !== undefined && entry.flywayChecksum !== null && entry.state === 'applied') {
            const now = flywayChecksum((0,external_node_fs_.readFileSync)(file.upPath, 'utf8'));
            if (now !== entry.flywayChecksum) {
                // Flyway runs a changed repeatable again; a changed versioned script fails Flyway's validate.
                if (entry.repeatable)
                    report.rerun.push(entry.key);
                else
                    modified.push(`${file.version} (${(0,external_node_path_namespaceObject.basename)(file.upPath)}: Flyway checksum ${entry.flywayChecksum}, the file's now ${now})`);
                continue;
            }
        }
        rows.push({ version: file.version, name: file.name, checksum, status: entry.state, errorMessage: entry.state === 'failed' ? (entry.note ?? null) : null, note });
        report.adopted.push({ version: file.version, name: file.name, status: entry.state, path: file.upPath, note: entry.state === 'failed' ? entry.note : undefined });
    }
    if (modified.length) {
        throw new ConfigError(`${modified.length === 1 ? 'a migration' : `${modified.length} migrations`} changed after Flyway applied ${modified.length === 1 ? 'it' : 'them'}: ${modified.join(', ')}. Flyway's validate would refuse this too. Restore the file${modified.length === 1 ? '' : 's'} as applied (from version control), or, if the change alters nothing that ran, accept the current file${modified.length === 1 ? '' : 's'} with "flyway repair"; then adopt again. Nothing was written.`);
    }
    if (report.missing.length) {
        if (!o.allowMissing) {
            throw new ConfigError(`${report.missing.length === 1 ? 'a migration' : `${report.missing.length} migrations`} that ${tool} applied ${report.missing.length === 1 ? 'has' : 'have'} no file in ${catalog.dir}: ${describeList(report.missing)}. Restore ${report.missing.length === 1 ? 'it' : 'them'} (from version control, or check --dir), or pass --allow-missing to record ${report.missing.length === 1 ? 'it' : 'them'} as applied without a file (pgshift then reports ${report.missing.length === 1 ? 'it' : 'them'} missing, as it does any applied migration whose file is gone). Nothing was written.`);
        }
        for (const key of report.missing) {
            const at = missingVersion({ key, by: matched.find((m) => m.entry.key === key).entry.by, state: 'applied' });
            if (!at || known.has(versionId(at.version)) || rows.some((r) => versionId(r.version) === versionId(at.version)))
                continue;
            rows.push({ version: at.version, name: at.name, checksum: '', status: 'applied', errorMessage: null, note: `${note} (no file)` });
            report.adopted.push({ version: at.version, name: at.name, status: 'applied' });
        }
    }
    rows.sort((a, b) => compareVersions(a.version, b.version));
    report.adopted.sort((a, b) => compareVersions(a.version, b.version));
    const renames = tool === 'golang-migrate' && table.name === 'schema_migrations';
    report.notes.push(...wayBack(tool, table, schema));
    if (o.dryRun)
        return report;
    if (rows.length || renames) {
        await tracking.recordWithoutRunning(sql, rows, 'adopt', o.actor ?? defaultActor(), o.environment ?? SETTINGS.environment.default, renames ? (tx) => moveGolangTable(tx, table) : undefined);
    }
    return report;
}
/** Takes over another tool's history: see the file's head. */
async function adopt(o) {
    if (!READERS[o.from])
        throw new ConfigError(`adopt: "${o.from}" is not a tool pgshift can adopt from.`);
    return withSession(o, (s) => withLock(s, o, (sql) => adoptLocked(o, s.catalog, s.tracking, sql)));
}
/** What an adoption did (or would do), one line each. */
function describeAdopt(r) {
    if (r.alreadyAdopted)
        return r.notes;
    const would = r.dryRun ? 'would record' : 'recorded';
    const lines = [];
    const applied = r.adopted.filter((a) => a.status === 'applied');
    const failed = r.adopted.filter((a) => a.status === 'failed');
    if (!r.adopted.length)
        lines.push(`${r.table} records no migration to adopt${r.kept.length ? ' that pgshift does not have already' : ''}: nothing ${r.dryRun ? 'would be' : 'was'} recorded.`);
    else
        lines.push(`${r.dryRun ? 'dry run: ' : ''}${would} ${applied.length} migration${applied.length === 1 ? '' : 's'} as applied from ${r.tool}'s ${r.table}, without running them:`);
    for (const a of applied)
        lines.push(`  ${a.version}  ${a.name}${a.path ? '' : '  (no file: recorded as missing)'}`);
    for (const f of failed) {
        lines.push(`${would} ${f.version} ${f.name} as failed: ${f.note ?? ''}. Check the database, then "pgshift resolve ${f.version} --applied" if its changes are in place, or "--rolled-back" if not (up then runs it again).`);
    }
    for (const k of r.rerun)
        lines.push(`${k}: its file changed since ${r.tool} last ran it, so it stays pending and the next pgshift up runs it again.`);
    if (r.kept.length)
        lines.push(`already recorded by pgshift, left as they were: ${describeList(r.kept)}.`);
    lines.push(...r.notes);
    if (r.dryRun)
        lines.push('Nothing was written (--dry-run).');
    return lines;
}
/**
 * The warning `plan` and `up` give when pgshift has recorded nothing while another tool's history table
 * holds rows: run as it is, pgshift would run every migration again. Best effort: a table the role may
 * not read is not worth failing a plan for.
 */
async function adoptionHint(sql, tracking, ourRows, onEvent) {
    if (ourRows > 0 || !onEvent)
        return;
    let found;
    try {
        found = await otherTools(sql, tracking.schema);
    }
    catch {
        return;
    }
    for (const f of found) {
        onEvent({
            type: 'warning',
            message: `${f.table} is ${f.tool}'s history and pgshift has recorded no migration yet: run "pgshift adopt --from ${f.tool}" first, or every migration ${f.tool} applied is run again.`,
        });
    }
}
/**
 * The action's adopt-from: the adoption (on a dry run, what it would record), then `next` (the deploy or
 * the plan) in the same run. An adoption that fails is the run's outcome and nothing is deployed;
 * `onAdopted` hears what was done. Done once: a later run finds it on record and does nothing. On a dry
 * run `next` is given what the adoption would record, so the plan reads as if it were done.
 */
async function adoptThen(req, from, dryRun, sink, onAdopted, next) {
    let report;
    try {
        report = await adopt({
            ...req,
            from,
            dryRun,
            allowMissing: req.selection.allowMissing,
            onEvent: (e) => {
                req.onEvent?.(e);
                sink.event?.(e);
            },
        });
    }
    catch (err) {
        return stoppedDeploy(req, err, sink);
    }
    await onAdopted(report);
    return next(report.dryRun && !report.alreadyAdopted ? report.adopted.map((a) => ({ version: a.version, name: a.name, status: a.status })) : undefined);
}

;// CONCATENATED MODULE: ./src/commands/invalid-indexes.ts





function list(indexes) {
    return `${indexes.length > 1 ? 'indexes' : 'index'} ${indexes.map((i) => i.qualified).join(', ')}`;
}
/** The non-transactional sections of a failed or running migration, as steps (parsed only here). */
async function sectionsOf(catalog, version) {
    const file = catalog.find(version);
    const loaded = file ? catalog.load(file) : undefined;
    if (!loaded || loaded instanceof MigrationFileError)
        return [];
    const sections = [!loaded.up.transaction ? 'up' : undefined, loaded.down && !loaded.down.transaction ? 'down' : undefined].filter((d) => d !== undefined);
    if (!sections.length)
        return [];
    await loadParser();
    return sections.map((d) => planStep(loaded, d, []));
}
/** Adds what invalid indexes mean to `plan`'s problems; read-only. Returns the plan. */
async function checkInvalidIndexes(sql, catalog, plan) {
    for (const problem of plan.problems) {
        if (problem.kind !== 'failed' || !problem.version)
            continue;
        const found = await invalidIndexesOf(sql, await sectionsOf(catalog, problem.version));
        if (!found.length)
            continue;
        problem.message += ` It left invalid ${list(found)} (an interrupted CREATE INDEX CONCURRENTLY): drop ${found.length > 1 ? 'them' : 'it'} first with ${dropStatements(found)} — otherwise the re-run's IF NOT EXISTS skips ${found.length > 1 ? 'them' : 'it'} and the migration is recorded applied without a usable index.`;
    }
    const pending = plan.steps.filter((s) => !s.transactional);
    for (const found of groupByVersion(await invalidIndexesOf(sql, pending))) {
        const step = pending.find((s) => versionId(s.migration.version) === versionId(found[0].version));
        plan.problems.push({
            kind: 'failed',
            version: step.migration.version,
            path: step.section.path,
            message: `${step.section.path}: migration ${step.migration.version} creates ${list(found)}, which already ${found.length > 1 ? 'exist' : 'exists'} and ${found.length > 1 ? 'are' : 'is'} INVALID (left by an interrupted CREATE INDEX CONCURRENTLY). Run ${dropStatements(found)} and then run it again: as it is, IF NOT EXISTS would skip ${found.length > 1 ? 'them' : 'it'} and record the migration applied.`,
            blocking: true,
        });
        plan.blocked = true;
    }
    return plan;
}
function groupByVersion(indexes) {
    const groups = new Map();
    for (const i of indexes)
        groups.set(versionId(i.version), [...(groups.get(versionId(i.version)) ?? []), i]);
    return [...groups.values()];
}

;// CONCATENATED MODULE: ./src/lint/ast.ts
/** The `K` node wrapped in `n`, if that is what `n` holds. */
function as(n, kind) {
    return n && kind in n ? n[kind] : undefined;
}
function fromRangeVar(rv) {
    return rv?.relname ? { schema: rv.schemaname, name: rv.relname } : undefined;
}
/** `[schema, name]` or `[name]` (a String list, as in DROP and CREATE TYPE) to a QName. */
function fromNames(names) {
    const parts = strings(names);
    if (!parts.length)
        return undefined;
    return { schema: parts.length > 1 ? parts[parts.length - 2] : undefined, name: parts[parts.length - 1] };
}
/** Same object, when a side leaves the schema out: lenient on purpose, as search_path is unknown here. */
function sameName(a, b) {
    return a.name === b.name && (!a.schema || !b.schema || a.schema === b.schema);
}
function show(q) {
    if (!q)
        return '?';
    return q.schema ? `${q.schema}.${q.name}` : q.name;
}
function strings(list) {
    return (list ?? []).map((n) => as(n, 'String')?.sval).filter((s) => s !== undefined);
}
function ast_option(list, name) {
    return (list ?? []).map((n) => as(n, 'DefElem')).find((d) => d?.defname === name);
}
/** An option given as `FULL`, `FULL true`, `FULL on` or `FULL 1`. */
function enabled(d) {
    if (!d)
        return false;
    if (!d.arg)
        return true;
    const s = as(d.arg, 'String')?.sval ?? as(d.arg, 'Boolean')?.boolval ?? as(d.arg, 'Integer')?.ival;
    if (typeof s === 'string')
        return !/^(false|off|0|no)$/i.test(s);
    return s === undefined ? true : Boolean(s);
}
/** Names of every function called anywhere under `node`. */
function calledFunctions(node, out = []) {
    if (Array.isArray(node)) {
        for (const x of node)
            calledFunctions(x, out);
    }
    else if (node && typeof node === 'object') {
        const call = node.FuncCall;
        if (call)
            out.push(strings(call.funcname).pop() ?? '');
        for (const v of Object.values(node))
            calledFunctions(v, out);
    }
    return out;
}
/**
 * What makes a statement refuse to run inside a transaction block (Postgres's
 * PreventInTransactionBlock), as the words a message should show; undefined when it can run in one.
 */
function outsideTransactionOnly(stmt) {
    const n = stmt.node;
    switch (stmt.kind) {
        case 'IndexStmt':
            return n.concurrent ? 'CREATE INDEX CONCURRENTLY' : undefined;
        case 'DropStmt':
            return n.concurrent ? 'DROP INDEX CONCURRENTLY' : undefined;
        case 'ReindexStmt': {
            const r = n;
            if (enabled(ast_option(r.params, 'concurrently')))
                return 'REINDEX CONCURRENTLY';
            const whole = { REINDEX_OBJECT_SCHEMA: 'REINDEX SCHEMA', REINDEX_OBJECT_DATABASE: 'REINDEX DATABASE', REINDEX_OBJECT_SYSTEM: 'REINDEX SYSTEM' };
            return whole[r.kind ?? ''];
        }
        case 'VacuumStmt':
            return n.is_vacuumcmd ? 'VACUUM' : undefined;
        case 'CreatedbStmt':
            return 'CREATE DATABASE';
        case 'DropdbStmt':
            return 'DROP DATABASE';
        case 'AlterSystemStmt':
            return 'ALTER SYSTEM';
        case 'CreateTableSpaceStmt':
            return 'CREATE TABLESPACE';
        case 'DropTableSpaceStmt':
            return 'DROP TABLESPACE';
        default:
            return undefined;
    }
}
/** Statements that may share a transaction:false section without widening its partial-failure window. */
function belongsOutsideTransaction(stmt) {
    if (outsideTransactionOnly(stmt))
        return true;
    switch (stmt.kind) {
        case 'VariableSetStmt': // SET lock_timeout and the like configure the statements after them
        case 'TransactionStmt': // a BEGIN/COMMIT block of its own, on purpose
            return true;
        case 'AlterEnumStmt': {
            // ADD VALUE (not RENAME VALUE): committed on its own so that later statements can use the value.
            const n = stmt.node;
            return Boolean(n.newVal && !n.oldVal);
        }
        case 'VacuumStmt': // ANALYZE (VACUUM was caught above): cheap, repeatable, usually right after an index build
            return true;
        default:
            return false;
    }
}

;// CONCATENATED MODULE: ./src/lint/facts.ts

const DROP_KINDS = { OBJECT_TABLE: 'table', OBJECT_TYPE: 'type', OBJECT_DOMAIN: 'type', OBJECT_SCHEMA: 'schema' };
/** The DROP ... IF EXISTS objects and the ALTER COLUMN ... TYPE columns of some statements. */
function questionsOf(statements) {
    const q = { objects: [], columns: [] };
    for (const stmt of statements) {
        if (stmt.kind === 'DropStmt') {
            const n = stmt.node;
            const kind = DROP_KINDS[n.removeType ?? ''];
            if (!n.missing_ok || !kind)
                continue;
            for (const o of n.objects ?? []) {
                const name = kind === 'schema' ? { name: as(o, 'String')?.sval ?? '' } : fromNames(as(o, 'List')?.items ?? as(o, 'TypeName')?.names ?? [o]);
                if (name?.name)
                    q.objects.push({ kind, name });
            }
        }
        else if (stmt.kind === 'AlterTableStmt') {
            const n = stmt.node;
            const table = n.objtype === 'OBJECT_TABLE' ? fromRangeVar(n.relation) : undefined;
            if (!table)
                continue;
            for (const c of n.cmds ?? []) {
                const cmd = as(c, 'AlterTableCmd');
                if (cmd?.name && cmd.subtype === 'AT_AlterColumnType')
                    q.columns.push({ table, column: cmd.name });
            }
        }
    }
    return q;
}
/** Zones with one offset, 0, for all time: Postgres's pg_get_timezone_offset() says yes to these. */
const FIXED_UTC = new Set([
    'utc',
    'etc/utc',
    'uct',
    'etc/uct',
    'gmt',
    'etc/gmt',
    'gmt0',
    'etc/gmt0',
    'gmt+0',
    'etc/gmt+0',
    'gmt-0',
    'etc/gmt-0',
    'greenwich',
    'etc/greenwich',
    'universal',
    'etc/universal',
    'zulu',
    'etc/zulu',
]);
/** An integer type modifier as written ("varchar(20)": [20]); undefined when one is not a plain integer. */
function modifiers(t) {
    const out = [];
    for (const m of t.typmods ?? []) {
        const c = as(m, 'A_Const');
        if (!c || !c.ival)
            return undefined;
        out.push(c.ival.ival ?? 0);
    }
    return out;
}
/** numeric's typmod: ((precision << 16) | scale) + 4, scale in 11 bits (negative from Postgres 15). */
function numericParts(typmod) {
    const v = typmod - 4;
    return { precision: (v >> 16) & 0xffff, scale: ((v & 0x7ff) ^ 1024) - 1024 };
}
/**
 * Why an ALTER COLUMN ... TYPE does not rewrite the table, or undefined when it may. Only changes
 * ALTER TABLE makes by relabelling (a binary-coercible cast) or that a length coercion's support
 * function drops (varchar_support, numeric_support, varbit_support: a wider or absent limit), and
 * timestamp <-> timestamptz where Postgres 12+ skips the rewrite (TimeZone with a fixed offset of 0;
 * see ATColumnChangeRequiresRewrite and TimestampTimestampTzRequiresRewrite in its source). A USING
 * clause, a COLLATE or a domain stays a rewrite as far as the linter knows.
 */
function withoutRewrite(cmd, old, facts) {
    const def = as(cmd.def, 'ColumnDef');
    const t = def?.typeName;
    if (!def || !t || def.raw_default || def.collClause || old.domain || t.arrayBounds?.length || t.setof || t.pct_type)
        return undefined;
    const parts = strings(t.names);
    // Every type below is pg_catalog's: a schema other than that is a type of the user's.
    if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog'))
        return undefined;
    const target = parts[parts.length - 1];
    const mods = modifiers(t);
    if (!mods)
        return undefined;
    const [first, second] = mods;
    const none = mods.length === 0;
    switch (`${old.base}->${target}`) {
        case 'varchar->text':
        case 'text->text':
            return { ok: true };
        case 'text->varchar':
            return none ? { ok: true } : undefined;
        case 'varchar->varchar':
            return none || (old.typmod >= 0 && first >= old.typmod - 4) ? { ok: true } : undefined;
        case 'varbit->varbit':
            return none || (old.typmod >= 0 && first >= old.typmod) ? { ok: true } : undefined;
        case 'numeric->numeric': {
            if (none)
                return { ok: true };
            if (old.typmod < 0)
                return undefined;
            const was = numericParts(old.typmod);
            return first >= was.precision && (second ?? 0) === was.scale ? { ok: true } : undefined;
        }
        case 'cidr->inet':
            return none ? { ok: true } : undefined;
        case 'timestamp->timestamptz':
        case 'timestamptz->timestamp': {
            // A precision below the maximum adds a length coercion the rewrite check does not look through.
            if (!(none || first >= 6) || facts.serverVersion < 120000 || !FIXED_UTC.has(facts.timeZone.toLowerCase()))
                return undefined;
            // The table is not rewritten, but an index on the column is rebuilt (another operator class).
            return old.indexed ? { ok: false, indexRebuild: `the table is not rewritten (TimeZone is ${facts.timeZone}), but the indexes on the column are rebuilt` } : { ok: true };
        }
        default:
            return undefined;
    }
}

;// CONCATENATED MODULE: ./src/lint/rules.ts



/** Functions whose value differs per row, so a default using them is computed for every existing row. */
const VOLATILE_FUNCTIONS = new Set([
    'random',
    'random_normal',
    'clock_timestamp',
    'timeofday',
    'gen_random_uuid',
    'uuidv4',
    'uuidv7',
    'uuid_generate_v1',
    'uuid_generate_v1mc',
    'uuid_generate_v4',
    'gen_random_bytes',
    'nextval',
]);
const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);
const TYPE_NAMES = { int2: 'smallint', int4: 'integer', int8: 'bigint', float4: 'real', float8: 'double precision', bool: 'boolean', bpchar: 'char' };
function typeLabel(t) {
    const parts = strings(t?.names).filter((p) => p !== 'pg_catalog');
    const last = parts.pop() ?? '?';
    return [...parts, TYPE_NAMES[last] ?? last].join('.');
}
function columnConstraints(col) {
    return (col.constraints ?? []).map((n) => as(n, 'Constraint')).filter((c) => !!c);
}
/** The column an ALTER TABLE ... ADD COLUMN adds, on a table the batch did not create. */
function addedColumn(cmd, ctx) {
    return cmd.subtype === 'AT_AddColumn' && !ctx.tableIsNew ? as(cmd.def, 'ColumnDef') : undefined;
}
/** The constraint an ALTER TABLE ... ADD CONSTRAINT adds, on a table the batch did not create. */
function addedConstraint(cmd, ctx) {
    return cmd.subtype === 'AT_AddConstraint' && !ctx.tableIsNew ? as(cmd.def, 'Constraint') : undefined;
}
function named(c) {
    return c.conname ? `CONSTRAINT ${c.conname} ` : '';
}
/** The start of a statement, for messages about statements of any kind. */
function brief(sql) {
    const line = sql.split('\n')[0].trim();
    return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
/** The objects of a DROP ... statement that the batch did not create. */
function droppedNames(objects, isNew) {
    return (objects ?? []).map((o) => fromNames(as(o, 'List')?.items ?? as(o, 'TypeName')?.names ?? [o])).filter((q) => !!q && !isNew(q));
}
/**
 * A DROP ... IF EXISTS of an object the database does not hold, and that no earlier statement of the
 * batch created or renamed into being, drops nothing. Without a database nothing is known to be absent.
 */
function absent(n, kind, q, ctx) {
    return !!n.missing_ok && ctx.facts?.exists(kind, q) === false && !ctx.batch.wasRenamedTo(q.name);
}
/** What starts a new migration that runs outside a transaction, in the migration's own form. */
function noTransactionHeader(ctx) {
    // The advice is a migration of its own, so its up section.
    const header = formById(ctx.migration.form).noTransactionHeader('up');
    return header.isSectionHeader ? `"${header.line}"` : `the line "${header.line}"`;
}
/** How a down section asks to run outside a transaction: a rollback cannot move to a migration of its own. */
function noTransactionDown(ctx) {
    const header = formById(ctx.migration.form).noTransactionHeader('down');
    return `Run this down section without a transaction: ${header.isSectionHeader ? 'give it the header' : 'start its file with the line'} "${header.line}".`;
}
const DOCS_ONLY = {}; // rules reported by the linter itself, not by a check on a statement
/**
 * Whether a DROP SCHEMA/TYPE deletes data. In a down section it drops what its up created; the tables
 * holding data go with rollback-drop-table, so only CASCADE (which takes other objects' data) counts.
 */
function dropsData(n, ctx) {
    return ctx.direction === 'up' || n.behavior === 'DROP_CASCADE';
}
/** What a lock held until commit blocks, in words. */
const BLOCKS = {
    SHARE: 'no writes',
    'SHARE ROW EXCLUSIVE': 'no writes',
    'ACCESS EXCLUSIVE': 'no reads or writes',
};
/** A backfill (UPDATE, INSERT ... SELECT) of `target` run while the transaction holds write-blocking locks taken before it. */
function backfillUnderLocks(verb, target, ctx, tail = '') {
    const locks = ctx.batch.heldLocks();
    if (!target || !locks.length)
        return undefined;
    const first = locks[0];
    const held = locks.map((l) => `${show(l.table)} stays locked ${l.mode} (${BLOCKS[l.mode]})${l === first ? '' : `, taken by ${l.by} on line ${l.line}`}`);
    return {
        what: `${verb} ${show(target)}${tail} after ${first.by} (line ${first.line}) in the same transaction`,
        why: `locks are held until commit, so for the whole backfill ${held.join('; ')}.`,
    };
}
const RULES = [
    // ---- Destructive: data or objects are gone once this commits. ----
    {
        id: 'drop-table',
        severity: 'error',
        destructive: true,
        direction: 'up', // in a down section: rollback-drop-table
        why: 'deletes the table and every row in it for good, and code still using it fails at once.',
        safe: 'Ship code that no longer uses the table first, keep a backup, then drop it in a later migration.',
        on: {
            DropStmt: (n, ctx) => {
                if (n.removeType !== 'OBJECT_TABLE')
                    return;
                const names = droppedNames(n.objects, (q) => ctx.batch.isNewTable(q) || absent(n, 'table', q, ctx));
                return names.length > 0 && `DROP TABLE ${names.map(show).join(', ')}${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
            },
        },
    },
    {
        id: 'drop-column',
        severity: 'error',
        destructive: true,
        direction: 'up', // in a down section: rollback-drop-column
        why: "deletes the column's data for good, and code still selecting or inserting it fails at once (ORMs list every column they know).",
        safe: 'Stop using the column in code (tell the ORM to ignore it) in one release, then drop it in a later migration.',
        on: {
            AlterTableCmd: (cmd, ctx) => cmd.subtype === 'AT_DropColumn' && !ctx.tableIsNew && `ALTER TABLE ${show(ctx.table)} DROP COLUMN ${cmd.name}`,
        },
    },
    {
        id: 'drop-schema',
        severity: 'error',
        destructive: true,
        why: 'deletes the schema, and with CASCADE every table, view and function in it, with their data.',
        safe: 'Drop the objects in it one by one, each once nothing uses it, then drop the empty schema without CASCADE.',
        on: {
            DropStmt: (n, ctx) => {
                if (n.removeType !== 'OBJECT_SCHEMA' || !dropsData(n, ctx))
                    return;
                const names = strings(n.objects).filter((s) => !ctx.batch.isNewSchema(s) && !absent(n, 'schema', { name: s }, ctx));
                return names.length > 0 && `DROP SCHEMA ${names.join(', ')}${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
            },
        },
    },
    {
        id: 'drop-database',
        severity: 'error',
        destructive: true,
        why: 'deletes a whole database and all its data for good.',
        safe: 'Drop databases by hand, after a backup, not from a migration.',
        on: {
            DropdbStmt: (n, ctx) => !ctx.batch.isNewDatabase(n.dbname) && `DROP DATABASE ${n.dbname}`,
        },
    },
    {
        id: 'drop-type',
        severity: 'error',
        destructive: true,
        why: 'deletes the type (or domain), and with CASCADE every column of that type with its data; code using the type fails.',
        safe: 'Move every column and function off the type first, then drop it without CASCADE in a later migration.',
        on: {
            DropStmt: (n, ctx) => {
                if ((n.removeType !== 'OBJECT_TYPE' && n.removeType !== 'OBJECT_DOMAIN') || !dropsData(n, ctx))
                    return;
                const names = droppedNames(n.objects, (q) => ctx.batch.isNewType(q) || absent(n, 'type', q, ctx));
                return names.length > 0 && `DROP ${n.removeType === 'OBJECT_DOMAIN' ? 'DOMAIN' : 'TYPE'} ${names.map(show).join(', ')}${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
            },
        },
    },
    {
        id: 'truncate',
        severity: 'error',
        destructive: true,
        why: 'deletes every row for good, under an ACCESS EXCLUSIVE lock that blocks all reads and writes of the table.',
        safe: 'Delete only the rows you mean, with a WHERE clause and in batches, or do one-off cleanups by hand after a backup.',
        on: {
            TruncateStmt: (n, ctx) => {
                const names = (n.relations ?? []).map((r) => fromRangeVar(as(r, 'RangeVar'))).filter((q) => !!q && !ctx.batch.isNewTable(q));
                return names.length > 0 && `TRUNCATE ${names.map(show).join(', ')}`;
            },
        },
    },
    {
        id: 'delete-without-where',
        severity: 'error',
        destructive: true,
        why: 'deletes every row of the table, holding a row lock on each until commit.',
        safe: 'Add a WHERE clause naming the rows to delete; for many rows, delete in batches.',
        on: {
            DeleteStmt: (n, ctx) => !n.whereClause && !ctx.batch.isNewTable(fromRangeVar(n.relation)) && `DELETE FROM ${show(fromRangeVar(n.relation))} with no WHERE`,
        },
    },
    {
        id: 'update-without-where',
        severity: 'error',
        destructive: true,
        why: 'overwrites every row of the table, holding a row lock on each until commit (writers wait) and leaving a dead copy of each row behind.',
        safe: 'Add a WHERE clause naming the rows to change; for a backfill, update in batches of a few thousand rows.',
        on: {
            UpdateStmt: (n, ctx) => !n.whereClause && !ctx.batch.isNewTable(fromRangeVar(n.relation)) && `UPDATE ${show(fromRangeVar(n.relation))} with no WHERE`,
        },
    },
    // ---- Long locks on tables that already hold data. ----
    {
        id: 'index-without-concurrently',
        severity: 'warning',
        destructive: false,
        why: 'CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits until it is done.',
        safe: 'Use CREATE INDEX CONCURRENTLY (DROP INDEX CONCURRENTLY) in a migration of its own marked transaction:false.',
        on: {
            IndexStmt: (n, ctx) => {
                const table = fromRangeVar(n.relation);
                if (n.concurrent || ctx.batch.isNewTable(table))
                    return;
                return `CREATE ${n.unique ? 'UNIQUE ' : ''}INDEX ${n.idxname ? `${n.idxname} ` : ''}ON ${show(table)}`;
            },
            DropStmt: (n, ctx) => {
                if (n.removeType !== 'OBJECT_INDEX' || n.concurrent)
                    return;
                const names = droppedNames(n.objects, (q) => ctx.batch.isNewIndex(q));
                return (names.length > 0 && {
                    what: `DROP INDEX ${names.map(show).join(', ')}`,
                    why: "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: it waits for every running query on the table, and every query after it waits too.",
                });
            },
        },
    },
    {
        id: 'add-column-volatile-default',
        severity: 'warning',
        destructive: false,
        why: 'a value must be computed for every existing row, so Postgres rewrites the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it is done (a constant or now() default is stored once and is instant).',
        safe: 'Add the column without that default, SET DEFAULT for new rows in a second statement, then backfill existing rows in batches.',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                const col = addedColumn(cmd, ctx);
                if (!col)
                    return;
                const reasons = [];
                const type = strings(col.typeName?.names).pop() ?? '';
                if (SERIAL_TYPES.has(type))
                    reasons.push(`type ${type}`);
                for (const c of columnConstraints(col)) {
                    if (c.contype === 'CONSTR_DEFAULT') {
                        const volatile = calledFunctions(c.raw_expr).filter((f) => VOLATILE_FUNCTIONS.has(f));
                        if (volatile.length)
                            reasons.push(`DEFAULT ${volatile[0]}()`);
                    }
                    else if (c.contype === 'CONSTR_GENERATED' && c.generated_kind === 's')
                        reasons.push('GENERATED ... STORED');
                    else if (c.contype === 'CONSTR_IDENTITY')
                        reasons.push('GENERATED ... AS IDENTITY');
                }
                return reasons.length > 0 && `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} with ${reasons.join(' and ')}`;
            },
        },
    },
    {
        id: 'alter-column-type',
        severity: 'warning',
        destructive: false,
        why: 'most type changes rewrite the table and rebuild its indexes under an ACCESS EXCLUSIVE lock (no reads or writes meanwhile), and code expecting the old type may break.',
        safe: 'Add a column of the new type, write to both, backfill in batches, switch reads, then drop the old column; with a database the linter reads the type of the column and leaves out changes Postgres makes without a rewrite (varchar(n) to text or a longer varchar, numeric to a wider precision, cidr to inet, timestamp to timestamptz under UTC).',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                if (cmd.subtype !== 'AT_AlterColumnType' || ctx.tableIsNew)
                    return;
                const what = `ALTER TABLE ${show(ctx.table)} ALTER COLUMN ${cmd.name} TYPE ${typeLabel(as(cmd.def, 'ColumnDef')?.typeName)}`;
                // The column's type today, unless an earlier statement of the batch changes it first.
                const old = cmd.name && !ctx.batch.columnTouched(ctx.table, cmd.name) ? ctx.facts?.column(ctx.table, cmd.name) : undefined;
                const verdict = old && ctx.facts ? withoutRewrite(cmd, old, ctx.facts) : undefined;
                if (verdict?.ok)
                    return;
                return verdict?.indexRebuild ? { what, why: `${verdict.indexRebuild} under an ACCESS EXCLUSIVE lock: no reads or writes until they are done.` } : what;
            },
        },
    },
    {
        id: 'set-not-null',
        severity: 'warning',
        destructive: false,
        why: 'Postgres scans the whole table for NULLs while holding an ACCESS EXCLUSIVE lock: no reads or writes until the scan ends.',
        safe: 'Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration (that scan lets reads and writes through), then SET NOT NULL, which trusts the check and skips the scan.',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                if (ctx.tableIsNew)
                    return;
                if (cmd.subtype === 'AT_SetNotNull' && cmd.name && !ctx.batch.isProvenNotNull(ctx.table, cmd.name)) {
                    return `ALTER TABLE ${show(ctx.table)} ALTER COLUMN ${cmd.name} SET NOT NULL`;
                }
                // Postgres 18's ADD CONSTRAINT ... NOT NULL col does the same scan unless NOT VALID.
                const c = addedConstraint(cmd, ctx);
                if (c?.contype === 'CONSTR_NOTNULL' && !c.skip_validation)
                    return `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}NOT NULL ${strings(c.keys).join(', ')}`;
            },
        },
    },
    {
        id: 'add-foreign-key',
        severity: 'warning',
        destructive: false,
        why: 'Postgres checks every existing row against the referenced table while holding SHARE ROW EXCLUSIVE locks on both: writes to both tables wait until it is done.',
        safe: 'Add the foreign key with NOT VALID (only new rows are checked; the lock is brief), then VALIDATE CONSTRAINT in a later migration, which lets reads and writes through.',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                const c = addedConstraint(cmd, ctx);
                if (c?.contype === 'CONSTR_FOREIGN' && !c.skip_validation) {
                    return `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}FOREIGN KEY (${strings(c.fk_attrs).join(', ')}) REFERENCES ${show(fromRangeVar(c.pktable))}`;
                }
                const col = addedColumn(cmd, ctx);
                const ref = col && columnConstraints(col).find((k) => k.contype === 'CONSTR_FOREIGN');
                if (col && ref)
                    return `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} ... REFERENCES ${show(fromRangeVar(ref.pktable))}`;
            },
        },
    },
    {
        id: 'add-check',
        severity: 'warning',
        destructive: false,
        why: 'Postgres checks every existing row while holding an ACCESS EXCLUSIVE lock: no reads or writes until it is done.',
        safe: 'Add the check with NOT VALID (only new rows are checked), then VALIDATE CONSTRAINT in a later migration, which lets reads and writes through.',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                const c = addedConstraint(cmd, ctx);
                return c?.contype === 'CONSTR_CHECK' && !c.skip_validation && `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}CHECK`;
            },
        },
    },
    {
        id: 'add-unique-constraint',
        severity: 'warning',
        destructive: false,
        why: 'Postgres builds the unique index under an ACCESS EXCLUSIVE lock: no reads or writes for the whole build.',
        safe: 'CREATE UNIQUE INDEX CONCURRENTLY in a transaction:false migration, then ADD CONSTRAINT ... UNIQUE USING INDEX, which is instant.',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                const c = addedConstraint(cmd, ctx);
                if (c?.contype === 'CONSTR_UNIQUE' && !c.indexname)
                    return `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}UNIQUE (${strings(c.keys).join(', ')})`;
                const col = addedColumn(cmd, ctx);
                if (col && columnConstraints(col).some((k) => k.contype === 'CONSTR_UNIQUE'))
                    return `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} ... UNIQUE`;
            },
        },
    },
    {
        id: 'add-primary-key',
        severity: 'warning',
        destructive: false,
        why: 'Postgres builds the index, and checks the columns for NULLs, under an ACCESS EXCLUSIVE lock: no reads or writes until both are done.',
        safe: 'CREATE UNIQUE INDEX CONCURRENTLY in a transaction:false migration, make the columns NOT NULL safely (see set-not-null), then ADD CONSTRAINT ... PRIMARY KEY USING INDEX.',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                const c = addedConstraint(cmd, ctx);
                if (c?.contype === 'CONSTR_PRIMARY' && !c.indexname)
                    return `ALTER TABLE ${show(ctx.table)} ADD ${named(c)}PRIMARY KEY (${strings(c.keys).join(', ')})`;
                const col = addedColumn(cmd, ctx);
                if (col && columnConstraints(col).some((k) => k.contype === 'CONSTR_PRIMARY'))
                    return `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} ... PRIMARY KEY`;
            },
        },
    },
    {
        id: 'vacuum-full',
        severity: 'warning',
        destructive: false,
        why: 'rewrites the table (with no table named, every table) under an ACCESS EXCLUSIVE lock: no reads or writes until it is done, and it needs disk for a full copy.',
        safe: 'Leave space to autovacuum (plain VACUUM takes no blocking lock), or reclaim it outside migrations with pg_repack or pg_squeeze.',
        on: {
            VacuumStmt: (n, ctx) => {
                if (!n.is_vacuumcmd || !enabled(ast_option(n.options, 'full')))
                    return;
                const rels = (n.rels ?? []).map((r) => fromRangeVar(as(r, 'VacuumRelation')?.relation)).filter((q) => !!q);
                if (!rels.length)
                    return 'VACUUM FULL of the whole database';
                const old = rels.filter((q) => !ctx.batch.isNewTable(q));
                return old.length > 0 && `VACUUM FULL ${old.map(show).join(', ')}`;
            },
        },
    },
    {
        id: 'cluster',
        severity: 'warning',
        destructive: false,
        why: 'rewrites the table in index order under an ACCESS EXCLUSIVE lock: no reads or writes until it is done.',
        safe: 'Reorder tables outside migrations with pg_repack (which does it online), or leave the order alone.',
        on: {
            ClusterStmt: (n, ctx) => {
                const table = fromRangeVar(n.relation);
                if (!table)
                    return 'CLUSTER of every previously clustered table';
                return !ctx.batch.isNewTable(table) && `CLUSTER ${show(table)}`;
            },
        },
    },
    {
        id: 'reindex-without-concurrently',
        severity: 'warning',
        destructive: false,
        why: 'REINDEX blocks writes to the table, and reads that would use the index, until every index is rebuilt.',
        safe: 'Use REINDEX ... CONCURRENTLY (Postgres 12+) in a migration of its own marked transaction:false.',
        on: {
            ReindexStmt: (n, ctx) => {
                if (enabled(ast_option(n.params, 'concurrently')))
                    return;
                const target = fromRangeVar(n.relation);
                switch (n.kind) {
                    case 'REINDEX_OBJECT_TABLE':
                        return !ctx.batch.isNewTable(target) && `REINDEX TABLE ${show(target)}`;
                    case 'REINDEX_OBJECT_INDEX':
                        return !ctx.batch.isNewIndex(target) && `REINDEX INDEX ${show(target)}`;
                    case 'REINDEX_OBJECT_SCHEMA':
                        return !ctx.batch.isNewSchema(n.name) && `REINDEX SCHEMA ${n.name}`;
                    default:
                        return `REINDEX ${n.kind?.replace('REINDEX_OBJECT_', '')}${n.name ? ` ${n.name}` : ''}`;
                }
            },
        },
    },
    {
        id: 'refresh-materialized-view-without-concurrently',
        severity: 'warning',
        destructive: false,
        why: 'holds an ACCESS EXCLUSIVE lock on the view for the whole refresh: every query reading it waits.',
        safe: 'Give the view a unique index, then use REFRESH MATERIALIZED VIEW CONCURRENTLY, which lets readers through.',
        on: {
            RefreshMatViewStmt: (n, ctx) => !n.concurrent && !n.skipData && !ctx.batch.isNewTable(fromRangeVar(n.relation)) && `REFRESH MATERIALIZED VIEW ${show(fromRangeVar(n.relation))}`,
        },
    },
    {
        id: 'validate-in-same-transaction',
        severity: 'warning',
        destructive: false,
        why: 'the lock ADD CONSTRAINT took is held until commit, so the validation scan runs under it and NOT VALID gains nothing.',
        safe: 'Validate in a later migration: there the scan takes a lock that lets reads and writes through.',
        on: {
            AlterTableCmd: (cmd, ctx) => cmd.subtype === 'AT_ValidateConstraint' &&
                !!cmd.name &&
                !ctx.tableIsNew &&
                ctx.batch.addedNotValidInTransaction(ctx.table, cmd.name) &&
                `ALTER TABLE ${show(ctx.table)} VALIDATE CONSTRAINT ${cmd.name} in the transaction that added it`,
        },
    },
    {
        id: 'backfill-in-same-transaction',
        severity: 'warning',
        destructive: false,
        why: 'the lock the schema change took is held until commit, so the table stays blocked for the whole backfill.',
        safe: 'Commit the schema change first: move the backfill to a migration of its own after this one (on a big table, update in batches), where it takes only row locks.',
        on: {
            // A table the batch created is empty: updating it is instant. Copying rows into it is not.
            UpdateStmt: (n, ctx) => !ctx.batch.isNewTable(fromRangeVar(n.relation)) && backfillUnderLocks('UPDATE', fromRangeVar(n.relation), ctx),
            InsertStmt: (n, ctx) => {
                // INSERT ... SELECT ... FROM copies rows; VALUES (or a SELECT of constants) adds a few.
                const select = as(n.selectStmt, 'SelectStmt');
                if (!select?.fromClause?.length)
                    return;
                return backfillUnderLocks('INSERT INTO', fromRangeVar(n.relation), ctx, ' ... SELECT');
            },
        },
    },
    // ---- Breaks the code that is running while the migration deploys. ----
    {
        id: 'rename-table',
        severity: 'warning',
        destructive: false,
        why: 'code still deployed uses the old name and fails from the moment this commits until every instance runs new code.',
        safe: 'Create a view under the old name in the same migration (simple views accept writes), and drop it once no code uses the old name.',
        on: {
            RenameStmt: (n, ctx) => {
                const kinds = { OBJECT_TABLE: 'TABLE', OBJECT_VIEW: 'VIEW', OBJECT_MATVIEW: 'MATERIALIZED VIEW', OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE' };
                const from = fromRangeVar(n.relation);
                if (!kinds[n.renameType ?? ''] || !from || ctx.batch.isNewTable(from))
                    return;
                // The old name kept alive as a view later in the section is the safe pattern itself.
                const later = ctx.statements.slice(ctx.statements.indexOf(ctx.stmt) + 1);
                if (later.some((s) => s.kind === 'ViewStmt' && sameName(fromRangeVar(s.node.view) ?? { name: '' }, from)))
                    return;
                return `ALTER ${kinds[n.renameType]} ${show(from)} RENAME TO ${n.newname}`;
            },
        },
    },
    {
        id: 'rename-column',
        severity: 'warning',
        destructive: false,
        why: 'code still deployed uses the old column name and fails from the moment this commits until every instance runs new code.',
        safe: 'Add the new column, write to both and backfill, move reads to it, then drop the old column in a later release.',
        on: {
            RenameStmt: (n, ctx) => {
                const table = fromRangeVar(n.relation);
                return n.renameType === 'OBJECT_COLUMN' && !ctx.batch.isNewTable(table) && `ALTER TABLE ${show(table)} RENAME COLUMN ${n.subname} TO ${n.newname}`;
            },
        },
    },
    {
        id: 'add-column-not-null-without-default',
        severity: 'error',
        destructive: false,
        why: 'fails with "contains null values" as soon as the table has a row, and once it runs, code still deployed that inserts rows without the column fails.',
        safe: 'Give the column a DEFAULT (a constant is instant), or add it nullable, backfill, and make it NOT NULL safely (see set-not-null).',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                const col = addedColumn(cmd, ctx);
                if (!col)
                    return;
                const kinds = new Set(columnConstraints(col).map((c) => c.contype));
                const notNull = kinds.has('CONSTR_NOTNULL') || kinds.has('CONSTR_PRIMARY');
                const filled = kinds.has('CONSTR_DEFAULT') || kinds.has('CONSTR_IDENTITY') || kinds.has('CONSTR_GENERATED') || SERIAL_TYPES.has(strings(col.typeName?.names).pop() ?? '');
                if (!notNull || filled)
                    return;
                const what = `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname} ${typeLabel(col.typeName)} NOT NULL without a DEFAULT`;
                // Emptied earlier in this transaction: the column goes onto no rows, so it does not fail for them.
                const emptied = ctx.batch.emptiedBy(ctx.table);
                if (!emptied)
                    return what;
                const running = 'code still deployed that inserts rows without the column fails once this commits.';
                return {
                    what,
                    severity: 'warning',
                    why: emptied === 'TRUNCATE'
                        ? `the table is emptied by TRUNCATE earlier in this transaction (its lock keeps new rows out until commit), so adding the column succeeds; but ${running}`
                        : `the table is emptied by DELETE earlier in this transaction, so adding the column succeeds unless another session inserts a row in between (TRUNCATE would lock them out); and ${running}`,
                    safe: 'Ship code that writes the column first, or give the column a DEFAULT.',
                };
            },
        },
    },
    // ---- Rolling back: what a down section destroys. ----
    {
        id: 'rollback-drop-table',
        severity: 'warning',
        destructive: true,
        direction: 'down',
        why: 'rolling back deletes the table with every row written to it since the migration was applied, for good; code still using the table fails at once.',
        safe: 'Where the table holds data you need, copy it out before rolling back, or fix forward with a new migration instead.',
        on: {
            DropStmt: (n, ctx) => {
                if (n.removeType !== 'OBJECT_TABLE')
                    return;
                const names = droppedNames(n.objects, (q) => ctx.batch.isNewTable(q) || absent(n, 'table', q, ctx));
                return names.length > 0 && `DROP TABLE ${names.map(show).join(', ')}${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
            },
        },
    },
    {
        id: 'rollback-drop-column',
        severity: 'warning',
        destructive: true,
        direction: 'down',
        why: 'rolling back deletes the column with every value written to it since the migration was applied, for good; code still selecting or inserting it fails at once.',
        safe: 'Where the column holds data you need, copy it out before rolling back, or fix forward with a new migration instead.',
        on: {
            AlterTableCmd: (cmd, ctx) => cmd.subtype === 'AT_DropColumn' && !ctx.tableIsNew && `ALTER TABLE ${show(ctx.table)} DROP COLUMN ${cmd.name}`,
        },
    },
    {
        id: 'rollback-restore-column',
        severity: 'warning',
        destructive: false,
        direction: 'down',
        why: 'rolling back brings the column back empty (NULL, or its default, in every row): the values the migration dropped are not restored, and code reading the column gets the empty value.',
        safe: 'Restore the values from a backup after rolling back, or keep a copy of the column (a table of key and value) before it is dropped.',
        on: {
            AlterTableCmd: (cmd, ctx) => {
                const col = addedColumn(cmd, ctx);
                return col && `ALTER TABLE ${show(ctx.table)} ADD COLUMN ${col.colname}`;
            },
        },
    },
    // ---- Will not run as written. ----
    {
        id: 'concurrently-in-transaction',
        severity: 'error',
        destructive: false,
        why: 'cannot run inside a transaction block, and this section runs in one: it fails in production with "cannot run inside a transaction block" (25001).',
        safe: 'Move it to a migration of its own marked transaction:false.',
        on: {
            '*': (stmt, ctx) => {
                const what = outsideTransactionOnly(stmt);
                if (!what || !ctx.inTransaction)
                    return;
                if (!ctx.section.transaction) {
                    return {
                        what,
                        why: 'cannot run inside a transaction block, and it sits in a BEGIN block this file opens: it fails with "cannot run inside a transaction block" (25001).',
                        safe: 'Move it out of the BEGIN ... COMMIT block.',
                    };
                }
                if (ctx.direction === 'down')
                    return { what, safe: noTransactionDown(ctx) };
                return { what, safe: `Move it to a migration of its own that starts with ${noTransactionHeader(ctx)}.` };
            },
        },
    },
    {
        id: 'transaction-control',
        severity: 'warning',
        destructive: false,
        why: "pgshift already runs each migration in a single transaction with its tracking row, and drops the file's own BEGIN/COMMIT: they do nothing.",
        safe: 'Remove them; for statements that cannot run in a transaction, use a transaction:false migration.',
        on: {
            TransactionStmt: (n, ctx) => {
                if (!ctx.section.transaction)
                    return; // a transaction:false section's own blocks are real
                switch (n.kind) {
                    case 'TRANS_STMT_BEGIN':
                    case 'TRANS_STMT_START':
                        return brief(ctx.stmt.sql);
                    case 'TRANS_STMT_COMMIT': {
                        // One finding per BEGIN ... COMMIT pair is enough.
                        const before = ctx.statements.slice(0, ctx.statements.indexOf(ctx.stmt));
                        return before.some((s) => s.kind === 'TransactionStmt' && /BEGIN|START/.test(String(s.node.kind))) ? undefined : brief(ctx.stmt.sql);
                    }
                    case 'TRANS_STMT_ROLLBACK':
                    case 'TRANS_STMT_PREPARE':
                    case 'TRANS_STMT_COMMIT_PREPARED':
                    case 'TRANS_STMT_ROLLBACK_PREPARED':
                        return {
                            what: brief(ctx.stmt.sql),
                            severity: 'error',
                            why: "would end pgshift's transaction early or undo it, losing the tracking row; pgshift refuses to run the migration.",
                            safe: 'Remove it: a failed migration is rolled back for you.',
                        };
                }
            },
        },
    },
    {
        id: 'mixed-no-transaction',
        severity: 'warning',
        destructive: false,
        why: 'in a transaction:false section each statement commits on its own, so a failure part-way leaves the earlier ones applied and the migration marked failed.',
        safe: 'Keep only what must run outside a transaction (CREATE INDEX CONCURRENTLY and the like) in this migration; move the rest to a transactional one.',
        on: {
            '*': (stmt, ctx) => {
                if (ctx.section.transaction || belongsOutsideTransaction(stmt))
                    return;
                const others = ctx.statements.filter((s) => s !== stmt && s.kind !== 'VariableSetStmt' && s.kind !== 'TransactionStmt');
                return others.length > 0 && brief(stmt.sql);
            },
        },
    },
    // ---- Reported by the linter itself. ----
    {
        id: 'ignore-without-rules',
        severity: 'warning',
        destructive: false,
        why: 'an ignore must name the rules it silences, so that new rules still report.',
        safe: 'Name them: -- pgshift:ignore <rule>[, <rule>...].',
        on: DOCS_ONLY,
    },
    {
        id: 'unknown-rule',
        severity: 'warning',
        destructive: false,
        why: 'no rule has that id, so the ignore silences nothing.',
        safe: 'Use a rule id from docs/rules.md (it is printed with each finding).',
        on: DOCS_ONLY,
    },
    {
        id: 'misplaced-ignore',
        severity: 'warning',
        destructive: false,
        why: 'it is neither in the comment block right above a statement nor at the top of the file, so it silences nothing.',
        safe: 'Put it on the line right above the statement (no blank line between), or at the top of the file for the whole file.',
        on: DOCS_ONLY,
    },
    {
        id: 'syntax-error',
        severity: 'error',
        destructive: false,
        why: 'the Postgres parser rejects the SQL, so the migration cannot run.',
        safe: 'Fix the SQL at that spot.',
        on: DOCS_ONLY,
    },
    {
        id: 'invalid-file',
        severity: 'error',
        destructive: false,
        why: 'pgshift cannot use the file as a migration.',
        safe: 'Fix what the message says.',
        on: DOCS_ONLY,
    },
];
const RULES_BY_ID = new Map(RULES.map((r) => [r.id, r]));
/** Rules whose findings stop a migration from running at all: config may not turn them off or down. */
const FIXED_RULES = new Set(['syntax-error', 'invalid-file']);
function ruleInfo(id) {
    const r = RULES_BY_ID.get(id);
    if (!r)
        throw new Error(`internal: unknown lint rule ${id}`);
    return r;
}

;// CONCATENATED MODULE: ./src/lint/suggest.ts
// "Did you mean" for a mistyped rule id.

/** The rule id nearest to `id`, when near enough to be a typo. */
function closestRuleId(id) {
    let best;
    for (const known of RULES_BY_ID.keys()) {
        const d = distance(id, known);
        if (!best || d < best.d)
            best = { id: known, d };
    }
    return best && best.d <= Math.max(2, Math.floor(id.length / 4)) ? best.id : undefined;
}
/** Levenshtein distance. */
function distance(a, b) {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++)
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
    }
    return prev[b.length];
}

;// CONCATENATED MODULE: ./src/lint/config.ts
// Reads the "lint" part of pgshift.json: { "lint": { "rules": { "drop-table": "off", "rename-column": "error" } } }.
// Other top-level keys belong to other parts of pgshift and are left alone.





const CONFIG_FILE = 'pgshift.json';
const config_SETTINGS = new Set(['error', 'warning', 'off']);
/** The config at `path` (or ./pgshift.json, which may be absent); ConfigError names the file and the fix. */
function loadLintConfig(path, cwd = process.cwd()) {
    const file = (0,external_node_path_namespaceObject.resolve)(cwd, path ?? CONFIG_FILE);
    let text;
    try {
        text = (0,external_node_fs_.readFileSync)(file, 'utf8');
    }
    catch (err) {
        const code = err.code;
        if (path === undefined && code === 'ENOENT')
            return { rules: {} };
        throw new ConfigError(code === 'ENOENT' ? `config file ${file} does not exist: check the path given with --config.` : `config file ${file} cannot be read (${code ?? String(err)}): check its permissions.`);
    }
    let json;
    try {
        json = JSON.parse(text);
    }
    catch (err) {
        throw new ConfigError(`config file ${file} is not valid JSON (${err.message}): fix it, e.g. {"lint": {"rules": {"drop-table": "off"}}}.`);
    }
    return parseLintConfig(json, file);
}
function parseLintConfig(json, file) {
    if (!isObject(json))
        throw new ConfigError(`config file ${file} must hold a JSON object, e.g. {"lint": {"rules": {"drop-table": "off"}}}.`);
    const lint = json.lint;
    if (lint === undefined)
        return { rules: {} };
    if (!isObject(lint))
        throw new ConfigError(`${file}: "lint" must be an object, e.g. "lint": {"rules": {"drop-table": "off"}}.`);
    for (const key of Object.keys(lint)) {
        if (key !== 'rules')
            throw new ConfigError(`${file}: unknown key "lint.${key}". The lint section takes "rules" only.`);
    }
    if (lint.rules === undefined)
        return { rules: {} };
    if (!isObject(lint.rules))
        throw new ConfigError(`${file}: "lint.rules" must be an object of rule id → "error" | "warning" | "off".`);
    const rules = {};
    for (const [id, value] of Object.entries(lint.rules)) {
        if (!RULES_BY_ID.has(id)) {
            const near = closestRuleId(id);
            throw new ConfigError(`${file}: unknown lint rule "${id}" in lint.rules.${near ? ` Did you mean "${near}"?` : ''} The rule ids are listed in docs/rules.md.`);
        }
        if (typeof value !== 'string' || !config_SETTINGS.has(value)) {
            throw new ConfigError(`${file}: lint.rules["${id}"] is ${JSON.stringify(value)}; use "error", "warning" or "off".`);
        }
        if (FIXED_RULES.has(id))
            throw new ConfigError(`${file}: lint.rules["${id}"] cannot be set: it reports SQL that cannot run at all. Remove the entry.`);
        rules[id] = value;
    }
    return { rules };
}
function isObject(v) {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

;// CONCATENATED MODULE: ./src/lint/batch.ts

/** Table locks that block writes, weakest first. Weaker ones (SHARE UPDATE EXCLUSIVE) let reads and writes through. */
const BLOCKING_LOCKS = ['SHARE', 'SHARE ROW EXCLUSIVE', 'ACCESS EXCLUSIVE'];
/** The lock an ALTER TABLE subcommand takes on its table, when it blocks writes (see the ALTER TABLE docs). */
function alterTableLock(cmd) {
    switch (cmd.subtype) {
        case 'AT_SetStatistics':
        case 'AT_SetOptions':
        case 'AT_ResetOptions':
        case 'AT_ClusterOn':
        case 'AT_DropCluster':
        case 'AT_SetRelOptions':
        case 'AT_ResetRelOptions':
        case 'AT_ValidateConstraint':
        case 'AT_AttachPartition':
        case 'AT_DetachPartitionFinalize':
            return undefined; // SHARE UPDATE EXCLUSIVE
        case 'AT_EnableTrig':
        case 'AT_EnableAlwaysTrig':
        case 'AT_EnableReplicaTrig':
        case 'AT_DisableTrig':
        case 'AT_EnableTrigAll':
        case 'AT_DisableTrigAll':
        case 'AT_EnableTrigUser':
        case 'AT_DisableTrigUser':
            return 'SHARE ROW EXCLUSIVE';
        case 'AT_AddConstraint':
            return as(cmd.def, 'Constraint')?.contype === 'CONSTR_FOREIGN' ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE';
        default:
            return 'ACCESS EXCLUSIVE';
    }
}
class Batch {
    tables = [];
    /** Indexes on tables the batch created (an index the batch put on an old table still locks it). */
    indexes = [];
    types = [];
    schemas = new Set();
    databases = new Set();
    /** NOT VALID constraints that, once validated, prove a column holds no NULL. */
    pendingNotNull = [];
    provenNotNull = [];
    /** Constraints added NOT VALID in the transaction now open: validating them there gains nothing. */
    notValidInTransaction = [];
    /** Write-blocking locks the open transaction holds on old tables, the strongest per table. */
    locks = [];
    /** Tables the open transaction emptied (TRUNCATE, or DELETE with no WHERE), and how; nothing put rows back since. */
    emptied = [];
    /** Names something was renamed to: an object the database does not hold yet may be there by then. */
    renamedTo = new Set();
    /** Columns of old tables an earlier statement added, dropped, retyped or renamed into: the catalog's type is not theirs by then. */
    touched = [];
    isNewTable(q) {
        return !!q && ((q.schema !== undefined && this.schemas.has(q.schema)) || this.tables.some((t) => sameName(t, q)));
    }
    isNewIndex(q) {
        return !!q && ((q.schema !== undefined && this.schemas.has(q.schema)) || this.indexes.some((i) => sameName(i, q)));
    }
    isNewType(q) {
        return !!q && ((q.schema !== undefined && this.schemas.has(q.schema)) || this.types.some((t) => sameName(t, q)));
    }
    isNewSchema(name) {
        return !!name && this.schemas.has(name);
    }
    isNewDatabase(name) {
        return !!name && this.databases.has(name);
    }
    isProvenNotNull(table, column) {
        return this.provenNotNull.some((p) => p.column === column && sameName(p.table, table));
    }
    addedNotValidInTransaction(table, constraint) {
        return this.notValidInTransaction.some((c) => c.constraint === constraint && sameName(c.table, table));
    }
    /** How the open transaction emptied the table, if it did and nothing has inserted into it since. */
    emptiedBy(table) {
        return this.emptied.find((e) => sameName(e.table, table))?.by;
    }
    /** An earlier statement changed the column (or renamed a table to this table's name). */
    columnTouched(table, column) {
        return this.renamedTo.has(table.name) || this.touched.some((t) => t.column === column && sameName(t.table, table));
    }
    /** An earlier statement renamed something to this name. */
    wasRenamedTo(name) {
        return this.renamedTo.has(name);
    }
    /** Locks on tables the batch did not create that the open transaction holds until it commits. */
    heldLocks() {
        return this.locks;
    }
    /** The open transaction committed (a section ended, or a statement ran outside a transaction). */
    transactionEnded() {
        this.notValidInTransaction = [];
        this.locks = [];
        this.emptied = [];
    }
    /** Records a statement, after the rules have looked at it. ALTER TABLE goes through observeCmd. */
    observe(stmt) {
        this.observeLock(stmt);
        this.observeRows(stmt);
        this.observeNode(stmt.kind, stmt.node);
    }
    /** Which tables the statement empties, or fills again. */
    observeRows(stmt) {
        const refill = (t) => t && (this.emptied = this.emptied.filter((e) => !sameName(e.table, t)));
        const empty = (t, by) => t && (refill(t), this.emptied.push({ table: t, by }));
        switch (stmt.kind) {
            case 'TruncateStmt':
                for (const r of stmt.node.relations ?? [])
                    empty(fromRangeVar(as(r, 'RangeVar')), 'TRUNCATE');
                break;
            case 'DeleteStmt': {
                const n = stmt.node;
                // USING joins: only the rows with a match go. A CTE may write elsewhere: not counted.
                if (!n.whereClause && !n.usingClause?.length && !n.withClause)
                    empty(fromRangeVar(n.relation), 'DELETE');
                break;
            }
            case 'InsertStmt':
                refill(fromRangeVar(stmt.node.relation));
                break;
            case 'CopyStmt': {
                const n = stmt.node;
                if (n.is_from)
                    refill(fromRangeVar(n.relation));
                break;
            }
            case 'MergeStmt':
                refill(fromRangeVar(stmt.node.relation));
                break;
            case 'RenameStmt': {
                const n = stmt.node;
                if (n.newname)
                    this.renamedTo.add(n.newname);
                const table = fromRangeVar(n.relation);
                if (n.renameType === 'OBJECT_COLUMN' && table && n.newname)
                    this.touched.push({ table, column: n.newname });
                // Another table may take the emptied one's name: it is not known to be empty.
                refill(fromRangeVar(n.relation));
                if (n.newname)
                    refill({ name: n.newname });
                break;
            }
            default:
                // Anything else that may write rows where the linter cannot see (a function, a DO block) fills them again.
                if (stmt.kind === 'DoStmt' || stmt.kind === 'CallStmt' || (stmt.kind === 'SelectStmt' && this.emptied.length))
                    this.emptied = [];
        }
    }
    lock(table, mode, by, line) {
        if (!table || !mode || this.isNewTable(table))
            return;
        const held = this.locks.findIndex((l) => sameName(l.table, table));
        if (held < 0)
            this.locks.push({ table, mode, by, line });
        else if (BLOCKING_LOCKS.indexOf(mode) > BLOCKING_LOCKS.indexOf(this.locks[held].mode))
            this.locks[held] = { table, mode, by, line };
    }
    /** The table locks of statements other than ALTER TABLE that block writes until commit. */
    observeLock(stmt) {
        switch (stmt.kind) {
            case 'IndexStmt': {
                const n = stmt.node;
                if (!n.concurrent)
                    this.lock(fromRangeVar(n.relation), 'SHARE', `CREATE INDEX${n.idxname ? ` ${n.idxname}` : ''}`, stmt.line);
                break;
            }
            case 'CreateTrigStmt': {
                const n = stmt.node;
                this.lock(fromRangeVar(n.relation), 'SHARE ROW EXCLUSIVE', `CREATE TRIGGER ${n.trigname ?? ''}`.trim(), stmt.line);
                break;
            }
            case 'CreatePolicyStmt': {
                const n = stmt.node;
                this.lock(fromRangeVar(n.table), 'ACCESS EXCLUSIVE', `CREATE POLICY ${n.policy_name ?? ''}`.trim(), stmt.line);
                break;
            }
            case 'RenameStmt': {
                const n = stmt.node;
                const table = fromRangeVar(n.relation);
                if (table)
                    this.lock(table, 'ACCESS EXCLUSIVE', `ALTER TABLE ${show(table)} RENAME`, stmt.line);
                break;
            }
        }
    }
    observeNode(kind, node, schema) {
        const add = (list, q) => q && list.push(q.schema || !schema ? q : { ...q, schema });
        switch (kind) {
            case 'CreateStmt':
                add(this.tables, fromRangeVar(node.relation));
                break;
            case 'CreateTableAsStmt': // CREATE TABLE AS and CREATE MATERIALIZED VIEW
                add(this.tables, fromRangeVar(node.into?.rel));
                break;
            case 'SelectStmt': // SELECT ... INTO new_table
                add(this.tables, fromRangeVar(node.intoClause?.rel));
                break;
            case 'IndexStmt': {
                const n = node;
                const table = fromRangeVar(n.relation);
                // An index lives in its table's schema.
                if (n.idxname && this.isNewTable(table))
                    add(this.indexes, { schema: table?.schema, name: n.idxname });
                break;
            }
            case 'CreateSchemaStmt': {
                const n = node;
                if (!n.schemaname)
                    break;
                this.schemas.add(n.schemaname);
                for (const elt of n.schemaElts ?? []) {
                    const [k] = Object.keys(elt);
                    this.observeNode(k, elt[k], n.schemaname);
                }
                break;
            }
            case 'CreateEnumStmt':
            case 'CreateRangeStmt':
                add(this.types, fromNames(node.typeName));
                break;
            case 'CompositeTypeStmt':
                add(this.types, fromRangeVar(node.typevar));
                break;
            case 'CreateDomainStmt':
                add(this.types, fromNames(node.domainname));
                break;
            case 'DefineStmt': {
                const n = node;
                if (n.kind === 'OBJECT_TYPE')
                    add(this.types, fromNames(n.defnames));
                break;
            }
            case 'CreatedbStmt':
                if (node.dbname)
                    this.databases.add(node.dbname);
                break;
            case 'RenameStmt': {
                // A new table keeps being new under its new name.
                const n = node;
                const from = fromRangeVar(n.relation);
                if (n.renameType === 'OBJECT_TABLE' && n.newname && this.isNewTable(from))
                    add(this.tables, { schema: from?.schema, name: n.newname });
                break;
            }
        }
    }
    /** Records one ALTER TABLE subcommand, in order, after the rules have looked at it. */
    observeCmd(table, cmd, stmt) {
        if (stmt) {
            this.lock(table, alterTableLock(cmd), `ALTER TABLE ${show(table)}`, stmt.line);
            // A foreign key locks the table it references too.
            const fk = as(cmd.def, 'Constraint');
            if (cmd.subtype === 'AT_AddConstraint' && fk?.contype === 'CONSTR_FOREIGN')
                this.lock(fromRangeVar(fk.pktable), 'SHARE ROW EXCLUSIVE', `ALTER TABLE ${show(table)}`, stmt.line);
        }
        if (cmd.subtype === 'AT_AlterColumnType' || cmd.subtype === 'AT_DropColumn') {
            if (cmd.name)
                this.touched.push({ table, column: cmd.name });
        }
        else if (cmd.subtype === 'AT_AddColumn') {
            const col = as(cmd.def, 'ColumnDef');
            if (col?.colname)
                this.touched.push({ table, column: col.colname });
        }
        if (cmd.subtype === 'AT_AddConstraint') {
            const c = as(cmd.def, 'Constraint');
            if (!c)
                return;
            const name = constraintName(table, c);
            const column = notNullColumn(c);
            if (c.skip_validation) {
                this.notValidInTransaction.push({ table, constraint: name });
                if (column)
                    this.pendingNotNull.push({ table, constraint: name, column });
            }
            else if (column) {
                this.provenNotNull.push({ table, column });
            }
        }
        else if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name) {
            const p = this.pendingNotNull.find((x) => x.constraint === cmd.name && sameName(x.table, table));
            if (p)
                this.provenNotNull.push({ table, column: p.column });
        }
    }
}
/** The column a constraint proves NOT NULL: CHECK (col IS NOT NULL), or Postgres 18's NOT NULL col. */
function notNullColumn(c) {
    if (c.contype === 'CONSTR_NOTNULL')
        return strings(c.keys)[0];
    if (c.contype !== 'CONSTR_CHECK')
        return undefined;
    const test = as(c.raw_expr, 'NullTest');
    if (test?.nulltesttype !== 'IS_NOT_NULL')
        return undefined;
    const fields = strings(as(test.arg, 'ColumnRef')?.fields);
    return fields.length === 1 ? fields[0] : undefined;
}
/** The constraint's name, or the one Postgres would choose for it (so VALIDATE can be matched). */
function constraintName(table, c) {
    if (c.conname)
        return c.conname;
    const columnsIn = (n) => [...new Set(columnRefs(n))];
    switch (c.contype) {
        case 'CONSTR_CHECK': {
            const cols = columnsIn(c.raw_expr);
            return cols.length === 1 ? `${table.name}_${cols[0]}_check` : `${table.name}_check`;
        }
        case 'CONSTR_FOREIGN':
            return `${table.name}_${strings(c.fk_attrs).join('_')}_fkey`;
        case 'CONSTR_NOTNULL':
            return `${table.name}_${strings(c.keys)[0]}_not_null`;
        default:
            return `${table.name}_${c.contype?.toLowerCase()}`;
    }
}
function columnRefs(node, out = []) {
    if (Array.isArray(node))
        for (const x of node)
            columnRefs(x, out);
    else if (node && typeof node === 'object') {
        const ref = node.ColumnRef;
        if (ref)
            out.push(strings(ref.fields).pop() ?? '');
        for (const v of Object.values(node))
            columnRefs(v, out);
    }
    return out;
}

;// CONCATENATED MODULE: ./src/lint/directives.ts


const DIRECTIVE = /^--\s*pgshift:(\S*)(.*)$/;
/** The ignore directives among `lines`; `firstLine` is the file line of lines[0]. */
function ignoresIn(lines, firstLine) {
    const out = [];
    lines.forEach((raw, index) => {
        const text = raw.trim();
        const d = text.match(DIRECTIVE);
        if (!d || d[1] !== 'ignore')
            return;
        // Text after a further "--" is the reason, for the reader.
        const names = d[2]
            .replace(/(^|\s)--.*$/, '')
            .split(/[\s,]+/)
            .filter(Boolean);
        out.push({ index, line: firstLine + index, column: raw.indexOf('--') + 1, rules: names, text });
    });
    return out;
}
const isComment = (line) => line !== undefined && line.trim().startsWith('--');
/**
 * @param preamble the file's lines above the section, from line 1, when they belong to its top (a
 *   dbmate file's lines above "-- migrate:up"); their directives apply to the whole file.
 */
function readDirectives(section, statements, preamble = []) {
    const result = { file: new Set(), byStatement: new Map(), problems: [] };
    const lines = section.sql.split('\n');
    const spans = statements.map((s) => {
        const start = s.line - section.startLine;
        return { start, end: start + (s.sql.match(/\n/g)?.length ?? 0), column: s.column };
    });
    const firstStatement = spans.length ? spans[0].start : lines.length;
    /** Indexes of the statements a directive on line `index` of the section applies to. */
    const targets = (index) => {
        const inside = spans.findIndex((sp) => sp.start < index && index <= sp.end);
        if (inside >= 0)
            return [inside];
        let next = index + 1;
        while (isComment(lines[next]))
            next++;
        const lead = (lines[next] ?? '').length - (lines[next] ?? '').trimStart().length + 1;
        const starting = spans.flatMap((sp, k) => (sp.start === next ? [k] : []));
        // The line must begin with a statement, not with the tail of one that started above it.
        return starting.length && spans[starting[0]].column === lead ? starting : [];
    };
    const apply = (ig, into) => {
        if (ig.rules.length === 0) {
            result.problems.push({ rule: 'ignore-without-rules', line: ig.line, column: ig.column, what: `"${ig.text}" names no rule` });
            return;
        }
        for (const r of ig.rules) {
            if (RULES_BY_ID.has(r))
                into.add(r);
            else {
                const near = closestRuleId(r);
                result.problems.push({ rule: 'unknown-rule', line: ig.line, column: ig.column, what: `"${r}" in "${ig.text}"${near ? ` (did you mean "${near}"?)` : ''}` });
            }
        }
    };
    for (const ig of ignoresIn(preamble, 1))
        apply(ig, result.file);
    for (const ig of ignoresIn(lines, section.startLine)) {
        const hit = targets(ig.index);
        if (hit.length) {
            const rules = new Set();
            apply(ig, rules);
            for (const k of hit)
                result.byStatement.set(k, new Set([...(result.byStatement.get(k) ?? []), ...rules]));
        }
        else if (ig.index < firstStatement) {
            apply(ig, result.file);
        }
        else {
            result.problems.push({ rule: 'misplaced-ignore', line: ig.line, column: ig.column, what: `"${ig.text}"` });
        }
    }
    return result;
}

;// CONCATENATED MODULE: ./src/lint/docs.ts
// Where the lint rules are documented: pgshift's own repository (package.json's "repository"), never the
// user's, and always an absolute URL, so a rule's link works wherever a finding is shown (the terminal, a
// PR comment, an issue, an annotation), none of which sits next to a docs/ folder.
const PGSHIFT_REPOSITORY = 'https://github.com/pgshift/pgshift';
const RULES_DOCS = `${PGSHIFT_REPOSITORY}/blob/main/docs/rules.md`;
/** The documentation of one rule: its section of docs/rules.md. */
function ruleDocs(rule) {
    return `${RULES_DOCS}#${rule}`;
}

;// CONCATENATED MODULE: ./src/lint/lint.ts
// Runs the rules over a batch of sections, in order, remembering what the batch created so far. The
// linter reads no file: a section comes with its migration (which keeps a dbmate file's preamble) and,
// from a plan, with the statements the plan already split.







const DEFAULT_LINT_CONFIG = { rules: {} };
/** The rules that check sections of each direction. */
const RULES_FOR = {
    up: RULES.filter((r) => r.direction !== 'down'),
    down: RULES.filter((r) => r.direction !== 'up'),
};
/** Lints sections as one batch, in order; a section without `parsed` is split here. */
function lintSections(items, config = DEFAULT_LINT_CONFIG, facts) {
    const batch = new Batch();
    const findings = [];
    items.forEach((item, order) => {
        for (const f of lintSection(item, batch, config, facts))
            findings.push({ ...f, order });
    });
    // Stable: findings on one statement keep the order of its subcommands.
    findings.sort((a, b) => a.order - b.order || a.line - b.line || a.column - b.column);
    return findings.map(({ order: _, ...f }) => f);
}
/** Lints a plan's steps (up or down) with the statements the plan split: no section is parsed again. */
function lintSteps(steps, config = DEFAULT_LINT_CONFIG, facts) {
    return lintSections(stepItems(steps), config, facts);
}
function stepItems(steps) {
    return steps.map((step) => ({ migration: step.migration, section: step.section, parsed: step.syntaxError ?? step.parsed ?? step.statements, direction: step.direction }));
}
/** Lints the rollbacks of an up plan's steps, in the order a rollback of them all would run (newest first). */
function lintRollbacks(steps, config = DEFAULT_LINT_CONFIG, facts) {
    return lintSections(rollbackItems(steps), config, facts);
}
function rollbackItems(steps) {
    const items = [];
    for (const step of [...steps].reverse())
        if (step.rollback)
            items.push({ migration: step.migration, section: step.rollback, direction: 'down' });
    return items;
}
/** What to ask the database before linting these items (see lint/facts.ts). */
function questionsFor(items) {
    return questionsOf(items.flatMap((item) => statementsOf(item)));
}
/** What to ask the database before linting a plan: its steps and, with `rollbacks`, their down sections. */
function planQuestions(steps, rollbacks) {
    return questionsFor([...stepItems(steps), ...(rollbacks ? rollbackItems(steps) : [])]);
}
/** An item's statements, split here when the caller did not; none when it does not parse. */
function statementsOf(item) {
    const parsed = item.parsed ?? split(item.section);
    return Array.isArray(parsed) ? parsed : [];
}
function split(section) {
    try {
        // Every statement the parser found, also inside a StatementBegin/StatementEnd block sent as one; an
        // empty down holds none.
        return section.empty ? [] : splitStatements(section).flatMap((s) => s.parts ?? [s]);
    }
    catch (err) {
        if (!(err instanceof SqlSyntaxError))
            throw err;
        return { line: err.line, column: err.column, reason: err.reason };
    }
}
function lintSection({ migration, section, parsed = split(section), direction = 'up' }, batch, config, facts) {
    if (!Array.isArray(parsed)) {
        // The parser's reason already says what to do.
        return finish(migration, section, [{ rule: 'syntax-error', what: parsed.reason, why: '', safe: '', line: parsed.line, column: parsed.column }], config);
    }
    const statements = parsed;
    const directives = readDirectives(section, statements, preamble(migration, section));
    const raws = directives.problems.map((p) => ({ ...p }));
    const collect = (rule, hits, stmt, index) => {
        for (const h of [hits].flat()) {
            if (!h)
                continue;
            const hit = typeof h === 'string' ? { what: h } : h;
            raws.push({ rule: rule.id, ...hit, line: stmt.line, column: stmt.column, statement: index });
        }
    };
    const rules = RULES_FOR[direction];
    batch.transactionEnded();
    let inBlock = false; // inside the file's own BEGIN ... COMMIT in a transaction:false section
    statements.forEach((stmt, index) => {
        const ctx = { migration, section, stmt, statements, inTransaction: section.transaction || inBlock, batch, direction, facts };
        for (const rule of rules) {
            if (rule.on['*'])
                collect(rule, rule.on['*'](stmt, ctx), stmt, index);
            const check = rule.on[stmt.kind];
            if (check)
                collect(rule, check(stmt.node, ctx), stmt, index);
        }
        const alter = stmt.kind === 'AlterTableStmt' ? stmt.node : undefined;
        const table = alter?.objtype === 'OBJECT_TABLE' ? fromRangeVar(alter.relation) : undefined;
        if (alter && table) {
            // Subcommands in order, each seeing what the ones before it did (ADD ... NOT VALID, VALIDATE).
            for (const node of alter.cmds ?? []) {
                const cmd = as(node, 'AlterTableCmd');
                if (!cmd)
                    continue;
                const cmdCtx = { ...ctx, table, tableIsNew: batch.isNewTable(table) };
                for (const rule of rules)
                    if (rule.on.AlterTableCmd)
                        collect(rule, rule.on.AlterTableCmd(cmd, cmdCtx), stmt, index);
                batch.observeCmd(table, cmd, stmt);
            }
        }
        else {
            batch.observe(stmt);
        }
        if (!section.transaction && stmt.kind === 'TransactionStmt') {
            const kind = String(stmt.node.kind);
            if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START')
                inBlock = true;
            else if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE')
                inBlock = false;
        }
        if (!section.transaction && !inBlock)
            batch.transactionEnded();
    });
    const silenced = (r) => directives.file.has(r.rule) || (r.statement !== undefined && directives.byStatement.get(r.statement)?.has(r.rule));
    const isDirectiveProblem = (r) => r.statement === undefined;
    return finish(migration, section, raws.filter((r) => isDirectiveProblem(r) || !silenced(r)), config);
}
/** Applies the config and writes the messages. */
function finish(migration, section, raws, config) {
    const out = [];
    for (const r of raws) {
        const rule = ruleInfo(r.rule);
        const setting = FIXED_RULES.has(r.rule) ? undefined : config.rules[r.rule];
        if (setting === 'off')
            continue;
        const tail = [r.why ?? rule.why, r.safe ?? rule.safe].filter(Boolean).join(' ');
        out.push({
            rule: r.rule,
            severity: setting ?? r.severity ?? rule.severity,
            message: tail ? `${r.what}: ${tail}` : r.what,
            path: section.path,
            line: r.line,
            column: r.column,
            version: migration.version,
            destructive: rule.destructive,
            docs: ruleDocs(r.rule),
        });
    }
    return out;
}
/** A dbmate file's lines above "-- migrate:up", kept when the file was read: directives there apply to the whole file. */
function preamble(migration, section) {
    if (section.path !== migration.upPath || section.startLine !== migration.up.startLine)
        return [];
    return migration.preamble ?? [];
}
/** A file pgshift cannot use as a migration, as a finding (for linting a directory or a file). */
function fileFinding(path, line, version, reason) {
    return { rule: 'invalid-file', severity: 'error', message: reason, path, line, column: 1, version, destructive: false, docs: ruleDocs('invalid-file') };
}

;// CONCATENATED MODULE: ./src/db/lint-facts.ts

/** A name as to_regclass() and friends read it: each part quoted, so case and dots stay as written. */
function written(q) {
    return q.schema ? `${quoteIdent(q.schema)}.${quoteIdent(q.name)}` : quoteIdent(q.name);
}
async function readLintFacts(sql, q) {
    const objects = q.objects.map((o) => ({ k: o.kind, n: written(o.name) }));
    const columns = q.columns.map((c) => ({ t: written(c.table), c: c.column }));
    // Sent as text (then cast): a json parameter would be serialized again by postgres.js.
    // to_regclass and the like answer NULL for a missing name (or schema) instead of failing. Each answer
    // comes back with its question, so the order of the rows does not matter.
    const [row] = await sql.unsafe(`select
       (select json_agg(json_build_object('k', o.k, 'n', o.n, 'e',
                case o.k when 'table' then to_regclass(o.n) is not null
                         when 'type' then to_regtype(o.n) is not null
                         else to_regnamespace(o.n) is not null end))
          from json_to_recordset($1::text::json) as o(k text, n text)) as objects,
       (select json_agg(json_build_object('t', c.t, 'c', c.c, 'base', t.typname, 'typmod', a.atttypmod, 'domain', t.typtype = 'd',
                -- An expression index may use the column too: counted, to be safe.
                'indexed', exists (select 1 from pg_index x where x.indrelid = a.attrelid and (a.attnum = any (x.indkey::int2[]) or x.indexprs is not null))))
          from json_to_recordset($2::text::json) as c(t text, c text)
          left join pg_attribute a on a.attrelid = to_regclass(c.t) and a.attname = c.c and a.attnum > 0 and not a.attisdropped
          left join pg_type t on t.oid = a.atttypid) as columns,
       current_setting('server_version_num')::int as version,
       current_setting('TimeZone') as tz`, [JSON.stringify(objects), JSON.stringify(columns)]);
    const exists = new Map();
    for (const o of row.objects ?? [])
        exists.set(`${o.k}:${o.n}`, o.e);
    const found = new Map();
    for (const c of row.columns ?? []) {
        found.set(JSON.stringify([c.t, c.c]), c.base === null ? null : { base: c.base, typmod: c.typmod ?? -1, domain: !!c.domain, indexed: !!c.indexed });
    }
    return {
        exists: (kind, name) => exists.get(`${kind}:${written(name)}`),
        column: (table, column) => found.get(JSON.stringify([written(table), column])),
        serverVersion: row.version,
        timeZone: row.tz,
    };
}

;// CONCATENATED MODULE: ./src/commands/baseline.ts
// Which migrations are already applied when no database is asked: a base commit says so (a pull
// request's base, `pgshift plan --since main`). The shells read the changed files from git or the
// GitHub API and hand them over as a Baseline; the decision — a migration whose up file was added or
// changed since the base is pending, every other one counts as applied — is made here, once.


/** The same file whatever the path says (a symlinked checkout, /tmp and /private/tmp). */
function canonical(path) {
    try {
        return external_node_fs_.realpathSync.native(path);
    }
    catch {
        return (0,external_node_path_namespaceObject.resolve)(path);
    }
}
/** Whether each migration file was added or changed since the base. */
function changedSince(baseline) {
    const changed = new Set(baseline.changed.map(canonical));
    return (file) => changed.has(canonical(file.upPath));
}
/**
 * The tracking rows a base commit stands for: one `applied` row per migration unchanged since it. They
 * carry no checksum: an unchanged file is by definition the one the base has, so there is nothing to compare.
 */
function appliedAtBase(catalog, baseline) {
    const isChanged = changedSince(baseline);
    const rows = catalog.files
        .filter((f) => !isChanged(f))
        .map((f) => ({ version: f.version, name: f.name, checksum: '', status: 'applied', appliedAt: null, executionTimeMs: null, errorMessage: null, appliedBy: null }));
    // `unadopted`: rows without a checksum to compare, which is what these are.
    return { exists: rows.length > 0, rows, databaseChecked: false, unadopted: true };
}
/** What git diff lists with name-status and -z (or ls-files with -z: every entry added) → absolute paths of files added or changed. */
function parseNameStatus(output, root, allAdded = false) {
    const fields = output.split('\0').filter((f) => f !== '');
    const out = [];
    if (allAdded)
        return fields.map((f) => (0,external_node_path_namespaceObject.resolve)(root, f));
    for (let i = 0; i < fields.length; i++) {
        const status = fields[i];
        // Renames and copies name two paths, the new one last; a deleted file is not in the directory.
        if (/^[RC]/.test(status)) {
            out.push((0,external_node_path_namespaceObject.resolve)(root, fields[i + 2]));
            i += 2;
        }
        else {
            if (status !== 'D')
                out.push((0,external_node_path_namespaceObject.resolve)(root, fields[i + 1]));
            i += 1;
        }
    }
    return out;
}

;// CONCATENATED MODULE: ./src/commands/lint.ts
// The safety analysis as a command: findings on a plan's pending steps (the statements the plan
// already parsed), and `pgshift lint [paths]` over files and directories without a database.
















/**
 * The plan with the linter's findings on its pending up sections (`findings`, which the safety policy
 * reads) and, with `downSections`, on the down sections — each step's rollback, or what a down plan runs
 * (`rollbackFindings`, which say what rolling back destroys). A plan shown to a person lints them; a
 * deploy checking its policy does not pay for them. A section that does not parse is already a problem
 * of the plan; a rollback is not planned, so its syntax error is a rollback finding.
 */
function withFindings(p, config, downSections = false, facts) {
    if (config === false || p.steps.length === 0)
        return p;
    const rules = config ?? DEFAULT_LINT_CONFIG;
    const notProblems = (f) => !FIXED_RULES.has(f.rule);
    if (p.direction === 'down')
        return downSections ? { ...p, rollbackFindings: lintSteps(p.steps, rules, facts).filter(notProblems) } : p;
    const findings = lintSteps(p.steps, rules, facts).filter(notProblems);
    return downSections ? { ...p, findings, rollbackFindings: lintRollbacks(p.steps, rules, facts) } : { ...p, findings };
}
/**
 * What the database knows that withFindings(p, config, downSections) can use (lint/facts.ts), read on
 * the command's connection; undefined when nothing will be linted.
 */
async function planFacts(sql, p, config, downSections = false) {
    if (config === false || p.steps.length === 0 || (p.direction === 'down' && !downSections))
        return undefined;
    return readLintFacts(sql, planQuestions(p.steps, downSections && p.direction === 'up'));
}
/** Facts read on a connection of their own: for `pgshift lint` with a database, whose plan's session has ended. */
function databaseFacts(o) {
    return (items) => withSession(o, (s) => readLintFacts(s.sql, questionsFor(items)));
}
/**
 * Findings of the given files or directories, without a database. Directories are linted as one batch
 * in version order (so a table created by an earlier migration counts as new in a later one).
 */
async function lintPaths(paths, config) {
    return (await lintFiles(paths, config)).findings;
}
/**
 * lintPaths, with a base commit when there is one: then only the migrations of a directory added or
 * changed since the base are linted (as one batch); the others count as applied, so the objects they
 * created are old and findings on them are reported. Without one, a note says what a one-batch lint hides.
 */
async function lintFiles(paths, config, baseline, facts) {
    if (paths.length === 0)
        throw new ConfigError('pgshift lint needs a migration file or a migrations directory to lint.');
    await loadParser();
    const notes = [];
    const ignored = [];
    const isChanged = baseline && changedSince(baseline);
    const migrations = [];
    const fileFindings = [];
    const seen = new Set();
    const add = (m, version) => {
        if (m instanceof MigrationFileError) {
            if (!seen.has(`${m.path}:${m.line}`))
                fileFindings.push(fileFinding(m.path, m.line ?? 1, version, m.reason));
            seen.add(`${m.path}:${m.line}`);
        }
        else if (!seen.has(m.upPath)) {
            seen.add(m.upPath);
            migrations.push(m);
        }
    };
    const addProblem = (problem) => {
        if (problem.kind === 'unmatched') {
            // A directory where nothing is a migration is not "no findings": it is refused, as by plan and up.
            if (problem.blocking)
                throw new ValidationError(`nothing to lint: ${problem.message}`, [problem]);
            ignored.push(problem.message);
        }
        else if (problem.blocking && problem.path)
            add(new MigrationFileError(problem.path, problem.line, problem.message.replace(`${problem.path}: `, '')), problem.version ?? '');
    };
    for (const p of paths) {
        const abs = (0,external_node_path_namespaceObject.resolve)(p);
        if (isDirectory(p, abs)) {
            const catalog = new catalog_Catalog(abs);
            catalog.nameProblems.forEach(addProblem);
            // Repeatables run after the versioned ones, so they are linted after them.
            const all = [...catalog.files, ...catalog.repeatables];
            const pending = isChanged ? all.filter(isChanged) : all;
            for (const file of pending)
                add(catalog.load(file), file.version);
            if (baseline) {
                const applied = all.length - pending.length;
                notes.push(`${p}: linted the ${lint_count(pending.length, 'migration')} added or changed since ${baseline.label}; the ${applied} unchanged ${applied === 1 ? 'one counts' : 'ones count'} as applied, so findings on the objects ${applied === 1 ? 'it' : 'they'} created are reported.`);
            }
            else if (catalog.files.length > 1) {
                notes.push(`${p}: every migration was linted as one batch, so a table an earlier one creates counts as new: findings on objects created earlier in the directory are not reported. Pass --since <git-ref> (the branch you merge into) to lint only what changed since then.`);
            }
            continue;
        }
        // A single file, as its directory's listing names it.
        const listing = discoverMigrations((0,external_node_path_namespaceObject.dirname)(abs));
        const file = listing.files.find((f) => f.upPath === abs) ?? listing.repeatables.find((f) => f.upPath === abs);
        const problem = listing.problems.find((x) => x.path === abs && x.blocking);
        if (problem)
            addProblem(problem);
        if (file)
            add(load(file), file.version);
        // A down file is skipped (down sections are not linted, as in a directory); any other file is linted whole.
        else if (!problem && !listing.files.some((f) => f.downPath === abs))
            add(load(adHoc(abs)), '');
    }
    const items = migrations.map((migration) => asLinted(migration));
    return {
        findings: [...fileFindings, ...lintSections(items, config, items.length ? await facts?.(items) : undefined)],
        notes,
        ignored,
    };
}
/** A migration's up section as it runs (a Flyway script that cannot run in a transaction runs without one), split once. */
function asLinted(migration) {
    let parsed;
    try {
        parsed = splitStatements(migration.up).flatMap((s) => s.parts ?? [s]);
    }
    catch (err) {
        if (err instanceof SqlSyntaxError)
            return { migration, section: migration.up };
        throw err;
    }
    return { migration, section: asItRuns(migration, migration.up, parsed).section, parsed };
}
function lint_count(n, word) {
    return `${n} ${word}${n === 1 ? '' : 's'}`;
}
/**
 * What the next deploy would run, linted as files: the pending migrations of a plan, plus pending files
 * that cannot be read or do not parse (the plan keeps those as problems, the linter as error findings).
 */
function pendingPaths(p) {
    const applied = new Set(p.applied.map((r) => versionId(r.version)));
    const unreadable = p.problems.filter((x) => x.blocking && x.kind === 'file' && x.path && !(x.version && applied.has(versionId(x.version)))).map((x) => x.path);
    return [...new Set([...p.steps.map((st) => st.migration.upPath), ...unreadable])];
}
function isDirectory(given, abs) {
    try {
        return (0,external_node_fs_.statSync)(abs).isDirectory();
    }
    catch {
        throw new ConfigError(`${given} does not exist: pass a migration file or a migrations directory.`);
    }
}
/** A file named like no migration: its whole text is the up section (markers and directives still apply). */
function adHoc(abs) {
    return { version: '', versionKey: [], name: (0,external_node_path_namespaceObject.basename)(abs, '.sql'), form: 'dbmate', upPath: abs, downPath: undefined };
}
function load(file) {
    try {
        return readMigration(file);
    }
    catch (err) {
        if (err instanceof MigrationFileError)
            return err;
        throw err;
    }
}

;// CONCATENATED MODULE: ./src/commands/policy.ts
// The deploy decisions that come before any SQL: the protected-environment guard, and which linter
// findings refuse a run. Protected environments refuse error-level findings, and destructive ones
// unless allow-destructive; elsewhere findings only warn, unless fail-on-lint asks for error-level
// ones to refuse; the additive-only policy refuses anything destructive, everywhere.


function isProtected(environment, s) {
    return s.protectedEnvironments.map((e) => e.toLowerCase()).includes(environment.toLowerCase());
}
function refusedFindings(findings, s) {
    return findings.filter((f) => {
        if (f.destructive && s.policy === 'additive-only')
            return true;
        if (!s.protected && !s.failOnLint)
            return false;
        // Destructive rules are error-level because they destroy data; allow-destructive is the reviewed
        // exception to exactly that, so it lifts their refusal too.
        if (f.destructive)
            return !s.allowDestructive && (s.protected || f.severity === 'error');
        return f.severity === 'error';
    });
}
/** A down in a protected environment needs MIGRATE-<ENV>; refused before any connection is made. */
function checkGuard(environment, direction, confirm, s) {
    if (direction !== 'down' || !isProtected(environment, s) || confirm === confirmPhrase(environment))
        return;
    throw new PolicyError(`refused: rolling back migrations in protected environment "${environment}" needs --confirm set to ${confirmPhrase(environment)}${confirm ? ` (got "${confirm}")` : ''}. Nothing was run.`, []);
}
/** The PolicyError for findings a policy refuses, listing each on its line. */
function policyRefusal(refused, lead = 'the run was refused before anything ran') {
    return new PolicyError(`${lead}: ${refused.length} finding${refused.length > 1 ? 's' : ''} the safety policy does not allow:\n${refused
        .map((f) => `  - ${f.path}:${f.line}: ${f.rule} (${f.severity}${f.destructive ? ', destructive' : ''}): ${f.message}`)
        .join('\n')}`, refused);
}

;// CONCATENATED MODULE: ./src/commands/migrate.ts












function refuse(plan) {
    const blocking = plan.problems.filter((p) => p.blocking);
    throw new ValidationError(`the run was refused before anything ran:\n${blocking.map((p) => `  - ${p.message}`).join('\n')}`, blocking);
}
/** Whether a plan could hold a step (which the parser must split): any pending file, or a down. */
function mayRun(catalog, state, selection) {
    if (selection.direction === 'down')
        return state.rows.length > 0;
    const known = new Set(state.rows.map((r) => versionId(r.version)));
    // A repeatable that is known may still be due (its file changed): only reading it would tell.
    return catalog.repeatables.length > 0 || catalog.files.some((f) => !known.has(versionId(f.version)));
}
async function migrate(o, selection) {
    return withSession(o, async (s) => (await nothingToDo(s, selection)) ?? withLock(s, o, (sql) => migrateLocked(s, sql, o, selection)));
}
/**
 * A run with nothing to do is answered from one read of the tracking state, without the lock: what is
 * committed is all applied, so no run could change the answer (one that applies more applies files this
 * directory does not have). Anything that may run (a pending file, a repeatable, a down) takes the lock
 * and reads again. Undefined when the run must go on under the lock.
 */
async function nothingToDo(s, selection) {
    const state = { ...(await s.tracking.read(s.sql, { pipelined: true })), databaseChecked: true };
    if (state.unadopted || state.rows.length === 0 || mayRun(s.catalog, state, selection))
        return undefined;
    const p = buildPlan(s.catalog, state, selection);
    if (p.steps.length)
        return undefined;
    // A changed history refuses even a run with nothing to do, as under the lock.
    if (p.blocked)
        refuse(p);
    return { direction: p.direction, status: 'up-to-date', steps: [], plan: p, currentVersion: p.currentVersion };
}
/** The run itself, on a session that holds the migration lock (a deploy's safety net runs under the same lock). */
async function migrateLocked(s, sql, o, selection) {
    const actor = o.actor ?? defaultActor();
    const environment = o.environment ?? SETTINGS.environment.default;
    const readState = async () => ({ ...(await s.tracking.read(sql)), databaseChecked: true });
    // Linting costs a parse of each pending section's findings: only when a policy will read them.
    const review = async (state) => {
        const p = buildPlan(s.catalog, state, selection);
        // Under the lock, so what the database holds is what the migrations will meet.
        const reviewed = o.lintPolicy ? withFindings(p, o.lint, false, await planFacts(sql, p, o.lint)) : p;
        if (reviewed.blocked)
            refuse(reviewed);
        const refused = o.lintPolicy?.(reviewed.findings) ?? [];
        if (refused.length)
            throw policyRefusal(refused);
        return reviewed;
    };
    let state = await readState();
    // Nothing recorded yet while another tool's history has rows: say that adopt exists.
    await adoptionHint(sql, s.tracking, state.rows.length, o.onEvent);
    // The parser's WebAssembly is only loaded when something may run: a no-op deploy never pays for it.
    if (mayRun(s.catalog, state, selection))
        await loadParser();
    let p = await review(state);
    if (p.steps.length === 0)
        return { direction: p.direction, status: 'up-to-date', steps: [], plan: p, currentVersion: p.currentVersion };
    if (o.singleTransaction) {
        const nonTx = p.steps.filter((st) => !st.transactional);
        if (nonTx.length) {
            throw new ConfigError(`--single-transaction cannot include non-transactional migrations (${nonTx.map((st) => st.migration.version).join(', ')}). Run without --single-transaction, or stop before them with --target.`);
        }
    }
    // A migration that would run into an index an interrupted run left INVALID is refused, with the DROP.
    if (p.steps.some((st) => !st.transactional) && (await checkInvalidIndexes(sql, s.catalog, p)).blocked)
        refuse(p);
    await o.beforeRun?.(p, sql);
    const files = new Map(s.catalog.files.map((f) => [versionId(f.version), { file: f, checksum: () => s.catalog.checksum(f) }]));
    const ensured = await s.tracking.ensure(sql, files, actor, environment);
    if (ensured === 'created')
        o.onEvent?.({ type: 'tracking-created', schema: s.tracking.schema });
    if (typeof ensured === 'object') {
        o.onEvent?.({ type: 'tracking-adopted', schema: s.tracking.schema, rows: ensured.adopted });
        state = await readState();
        p = await review(state);
    }
    const started = performance.now();
    const outcome = await executePlan(p.steps, {
        sql,
        tracking: s.tracking,
        lockTimeout: String(o.lockTimeoutMs ?? SETTINGS.lockTimeout.default),
        statementTimeout: o.statementTimeoutMs !== undefined ? String(o.statementTimeoutMs) : undefined,
        lockRetries: o.lockRetries ?? SETTINGS.lockRetries.default,
        retryDelayMs: o.retryDelayMs,
        singleTransaction: !!o.singleTransaction,
        actor,
        environment,
        redactor: s.redactor,
        onEvent: o.onEvent,
        signal: o.signal,
        lifeline: s.lifeline,
    });
    let current;
    const lost = outcome.error?.connectionLost ? outcome.error : undefined;
    if (lost) {
        // The connection ended under a migration: ask the server, on a new connection, what it holds.
        const step = p.steps.find((st) => versionId(st.migration.version) === versionId(lost.version));
        const rows = await lookAgain(lost, step, { reopen: s.reopen, tracking: s.tracking, lifeline: s.lifeline, actor, environment, durationMs: performance.now() - started });
        if (lost.outcome === 'committed') {
            for (const r of outcome.steps)
                if (versionId(r.version) === versionId(lost.version))
                    r.status = r.direction === 'up' ? 'applied' : 'rolled-back';
        }
        // Pipelined behind it, later migrations may have committed before their answers were lost: the
        // tracking table, read again, says which (each one's row is written in its own transaction).
        if (rows) {
            const ran = new Set(outcome.steps.map((r) => versionId(r.version)));
            for (const st of p.steps) {
                if (ran.has(versionId(st.migration.version)))
                    continue;
                const row = rows.find((r) => versionId(r.version) === versionId(st.migration.version));
                if (st.direction === 'up' ? row?.status !== 'applied' : row)
                    break;
                outcome.steps.push({
                    version: st.migration.version,
                    name: st.migration.name,
                    path: st.section.path,
                    direction: st.direction,
                    status: st.direction === 'up' ? 'applied' : 'rolled-back',
                    durationMs: 0,
                    attempts: 1,
                });
            }
        }
        current = rows ? buildPlan(s.catalog, { exists: true, rows, databaseChecked: true }, { direction: 'up', steps: 0 }).currentVersion : currentAfter(state.rows, outcome.steps);
    }
    else {
        try {
            const after = await s.tracking.read(sql);
            current = buildPlan(s.catalog, { ...after, databaseChecked: true }, { direction: 'up', steps: 0 }).currentVersion;
        }
        catch (err) {
            // Every migration answered (and committed) before the connection went: the run is done.
            if (!s.lifeline.lost)
                throw err;
            o.onEvent?.({ type: 'warning', message: `the connection was lost after the last migration was done (${s.lifeline.reason}); the server released the migration lock.` });
            current = currentAfter(state.rows, outcome.steps);
        }
    }
    return {
        direction: p.direction,
        status: outcome.error ? 'failed' : p.direction === 'up' ? 'applied' : 'rolled-back',
        steps: outcome.steps,
        plan: p,
        error: outcome.error,
        currentVersion: current,
    };
}

;// CONCATENATED MODULE: ./src/commands/backup.ts


/**
 * Nodes under which DML is defined, not run (a rule's actions, a function body, a prepared statement):
 * a DELETE there empties nothing now.
 */
const NOT_RUN = new Set(['RuleStmt', 'CreateFunctionStmt', 'PrepareStmt', 'CreateTrigStmt']);
/** DELETE and UPDATE without WHERE anywhere a statement runs them: at the top, in a CTE, under EXPLAIN ANALYZE. */
function unfilteredDml(node, out) {
    if (Array.isArray(node)) {
        for (const x of node)
            unfilteredDml(x, out);
        return;
    }
    if (!node || typeof node !== 'object')
        return;
    for (const [key, value] of Object.entries(node)) {
        if (NOT_RUN.has(key))
            continue;
        // EXPLAIN without ANALYZE only plans its statement.
        if (key === 'ExplainStmt' && !enabled(ast_option(value.options, 'analyze')))
            continue;
        if (key === 'DeleteStmt' || key === 'UpdateStmt') {
            const stmt = value;
            const name = fromRangeVar(stmt.relation);
            if (name && !stmt.whereClause)
                out.push(name);
        }
        unfilteredDml(value, out);
    }
}
function risk(plan) {
    const out = { tables: [], schemas: [], cascade: [] };
    // A StatementBegin/StatementEnd block runs several statements as one query: each of them counts.
    const statements = plan.steps.flatMap((step) => step.statements.flatMap((st) => st.parts ?? [st]));
    for (const st of statements) {
        const node = { [st.kind]: st.node };
        const drop = as(node, 'DropStmt');
        if (drop?.removeType === 'OBJECT_TABLE') {
            for (const o of drop.objects ?? []) {
                const name = fromNames((as(o, 'List')?.items ?? []));
                if (name)
                    out.tables.push(name);
            }
        }
        if (drop?.removeType === 'OBJECT_SCHEMA' && drop.behavior === 'DROP_CASCADE')
            out.schemas.push(...strings(drop.objects));
        const alter = as(node, 'AlterTableStmt');
        if (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
            const name = fromRangeVar(alter.relation);
            // DROP COLUMN loses the column's values; ALTER COLUMN TYPE rewrites every row through a cast.
            const destructive = (alter.cmds ?? []).some((c) => ['AT_DropColumn', 'AT_AlterColumnType'].includes(as(c, 'AlterTableCmd')?.subtype ?? ''));
            if (name && destructive)
                out.tables.push(name);
        }
        const truncate = as(node, 'TruncateStmt');
        for (const r of truncate?.relations ?? []) {
            const name = fromRangeVar(as(r, 'RangeVar'));
            if (!name)
                continue;
            out.tables.push(name);
            if (truncate?.behavior === 'DROP_CASCADE')
                out.cascade.push(name);
        }
        unfilteredDml(node, out.tables);
    }
    return out;
}
/**
 * The tables whose DATA the statements of the plan (whichever direction its steps run) can destroy or
 * rewrite: DROP TABLE, DROP COLUMN, ALTER COLUMN TYPE, TRUNCATE, DELETE or UPDATE without WHERE; and the
 * schemas dropped with CASCADE, every table in them. Names as written (schema optional), in order.
 */
function dataAtRisk(plan) {
    const { tables, schemas } = risk(plan);
    return { tables, schemas };
}
const regclassOf = (q) => (q.schema ? `${quoteIdent(q.schema)}.${quoteIdent(q.name)}` : quoteIdent(q.name));
/** The qualified name as Postgres would read it back: quote_ident on each part. */
const QUALIFIED = `quote_ident(n.nspname) || '.' || quote_ident(c.relname)`;
/**
 * The existing tables (plain or partitioned) among those the plan puts at risk, qualified and quoted so
 * that they round-trip (`public.users`, `app."Order Items"`), sorted and without repeats. A table the run
 * creates before it drops it does not exist now, holds nothing yet, and is left out. A table truncated
 * with CASCADE brings the tables whose foreign keys reference it (those are emptied too).
 */
async function backupTables(sql, plan) {
    const { tables, schemas, cascade } = risk(plan);
    const found = new Set();
    const names = tables.map(regclassOf);
    if (names.length) {
        const rows = await sql.unsafe(`select ${QUALIFIED} as name from json_array_elements_text($1::text::json) t(name)
        join pg_class c on c.oid = to_regclass(t.name) join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')`, [JSON.stringify(names)]);
        for (const r of rows)
            found.add(r.name);
    }
    if (cascade.length) {
        // TRUNCATE … CASCADE empties every table that references a truncated one, and so on down the chain.
        const rows = await sql.unsafe(`with recursive emptied(oid) as (
          select to_regclass(t.name)::oid from json_array_elements_text($1::text::json) t(name) where to_regclass(t.name) is not null
          union
          select k.conrelid from pg_constraint k join emptied e on k.confrelid = e.oid where k.contype = 'f')
        select ${QUALIFIED} as name from emptied e join pg_class c on c.oid = e.oid join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')`, [JSON.stringify(cascade.map(regclassOf))]);
        for (const r of rows)
            found.add(r.name);
    }
    if (schemas.length) {
        const rows = await sql.unsafe(`select ${QUALIFIED} as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in (select json_array_elements_text($1::text::json)) and c.relkind in ('r', 'p')`, [JSON.stringify(schemas)]);
        for (const r of rows)
            found.add(r.name);
    }
    return [...found].sort();
}

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = require("node:child_process");
;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = require("node:fs/promises");
;// CONCATENATED MODULE: ./src/db/backup.ts
// The backup before a deploy: pg_dump in custom format, written under a hidden name and renamed into
// place only once pg_dump succeeded and pg_restore can read it back. pg_dump runs as a child process
// with an argument list (never a shell); the password goes to it through PGPASSWORD only, so that it
// shows in no process list, log or file name.







/** The server's major version (15 for 15.18). */
async function serverMajor(sql) {
    const [{ major }] = await sql.unsafe(`select current_setting('server_version_num')::int / 10000 as major`);
    return Number(major);
}
/** Where Debian and Ubuntu (apt.postgresql.org included) install each major's client side by side. */
const DEBIAN_CLIENTS = '/usr/lib/postgresql';
async function executable(path) {
    try {
        if (!(await (0,promises_namespaceObject.stat)(path)).isFile())
            return false;
        await (0,promises_namespaceObject.access)(path, external_node_fs_.constants.X_OK);
        return true;
    }
    catch {
        return false;
    }
}
/** The first executable `name` in the PATH's directories (empty entries, "the current folder", are skipped on purpose). */
async function onPath(name, pathVar) {
    const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
    for (const dir of (pathVar ?? '').split(external_node_path_namespaceObject.delimiter)) {
        if (!dir)
            continue;
        for (const n of names)
            if (await executable((0,external_node_path_namespaceObject.join)(dir, n)))
                return (0,external_node_path_namespaceObject.resolve)(dir, n);
    }
    return undefined;
}
/** The newest pg_dump installed under /usr/lib/postgresql/<major>/bin that can dump this server. */
async function installedFor(serverMajor) {
    let majors;
    try {
        majors = (await (0,promises_namespaceObject.readdir)(DEBIAN_CLIENTS))
            .filter((d) => /^\d+$/.test(d))
            .map(Number)
            .sort((a, b) => b - a);
    }
    catch {
        return undefined;
    }
    for (const major of majors) {
        const path = (0,external_node_path_namespaceObject.join)(DEBIAN_CLIENTS, String(major), 'bin', 'pg_dump');
        if (major >= serverMajor && (await executable(path)))
            return { major, path };
    }
    return undefined;
}
/** The way out, for every refusal: install the matching client, or deploy without a backup. */
async function fixFor(serverMajor) {
    const flag = nameOf('pgDump', 'cli');
    const installed = await installedFor(serverMajor);
    const already = installed ? ` A pg_dump ${installed.major} is already installed here: pass ${flag} ${installed.path}.` : '';
    return (`${already} On GitHub's Ubuntu runners, install the client that matches the server: ` +
        `sudo apt-get install -y postgresql-common && sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y && sudo apt-get install -y postgresql-client-${serverMajor}, ` +
        `then pass ${flag} /usr/lib/postgresql/${serverMajor}/bin/pg_dump. Or pass ${nameOf('backup', 'cli')} none to deploy without a backup.`);
}
function versionText(path, env) {
    return new Promise((resolvePromise, reject) => {
        (0,external_node_child_process_namespaceObject.execFile)(path, ['--version'], { env, timeout: 15_000, windowsHide: true }, (err, stdout, stderr) => {
            if (err)
                reject(new Error(`${err.message.trim()}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
            else
                resolvePromise(stdout.trim());
        });
    });
}
/**
 * The pg_dump a backup runs: `path` when given (--pg-dump), else pg_dump on env.PATH; pg_restore beside
 * it, else on PATH. Refused (ConfigError, with the fix) when there is none, it does not run, or it is
 * older than the server: pg_dump refuses to dump a server of a newer major. A new-enough pg_dump found
 * under /usr/lib/postgresql is named in the message, never picked silently: which client writes a
 * production backup is the user's choice.
 */
async function findPgDump(o) {
    const env = o.env ?? {};
    const flag = nameOf('pgDump', 'cli');
    const need = `a backup needs pg_dump ${o.serverMajor} or newer (the server is Postgres ${o.serverMajor})`;
    let path;
    if (o.path) {
        path = (0,external_node_path_namespaceObject.resolve)(o.path);
        if (!(await executable(path))) {
            const what = await (0,promises_namespaceObject.stat)(path).then((s) => (s.isFile() ? 'is not executable' : 'is not a file'), () => 'does not exist');
            throw new ConfigError(`${flag} ${o.path}: ${path} ${what}; ${need}.${await fixFor(o.serverMajor)}`);
        }
    }
    else {
        const found = await onPath('pg_dump', env.PATH);
        if (!found)
            throw new ConfigError(`no pg_dump on PATH (${env.PATH ? env.PATH : 'PATH is empty'}): ${need}.${await fixFor(o.serverMajor)}`);
        path = found;
    }
    let version;
    try {
        version = await versionText(path, env);
    }
    catch (err) {
        throw new ConfigError(`${path} cannot run (${err.message}): ${need}.${await fixFor(o.serverMajor)}`);
    }
    const m = /\(PostgreSQL\)\s+(\d+)/.exec(version);
    if (!m)
        throw new ConfigError(`${path} --version printed "${version.slice(0, 200)}", not pg_dump's version: ${need}.${await fixFor(o.serverMajor)}`);
    const major = Number(m[1]);
    if (major < o.serverMajor) {
        throw new ConfigError(`${path} is pg_dump ${major} ("${version}"), older than the server (Postgres ${o.serverMajor}): pg_dump refuses to dump a newer server, so ${need}.${await fixFor(o.serverMajor)}`);
    }
    const beside = (0,external_node_path_namespaceObject.join)((0,external_node_path_namespaceObject.dirname)(path), process.platform === 'win32' && path.endsWith('.exe') ? 'pg_restore.exe' : 'pg_restore');
    const restorePath = (await executable(beside)) ? beside : await onPath('pg_restore', env.PATH);
    if (!restorePath) {
        throw new ConfigError(`no pg_restore beside ${path} nor on PATH: pgshift checks every backup with pg_restore --list (it comes in the same client package as pg_dump).${await fixFor(o.serverMajor)}`);
    }
    return { path, restorePath, version, major, env: o.env };
}
/** libpq's connection parameters: those a URL may carry for pg_dump (anything else, libpq refuses). */
const LIBPQ = new Set([
    'host',
    'hostaddr',
    'port',
    'dbname',
    'user',
    'passfile',
    'channel_binding',
    'connect_timeout',
    'client_encoding',
    'options',
    'application_name',
    'fallback_application_name',
    'keepalives',
    'keepalives_idle',
    'keepalives_interval',
    'keepalives_count',
    'tcp_user_timeout',
    'replication',
    'gssencmode',
    'sslmode',
    'requiressl',
    'sslcompression',
    'sslcert',
    'sslkey',
    'sslpassword',
    'sslcertmode',
    'sslrootcert',
    'sslcrl',
    'sslcrldir',
    'sslsni',
    'requirepeer',
    'ssl_min_protocol_version',
    'ssl_max_protocol_version',
    'krbsrvname',
    'gsslib',
    'gssdelegation',
    'service',
    'target_session_attrs',
    'load_balance_hosts',
    'require_auth',
]);
/** postgres.js's own options, which it reads from the URL and does not send to the server. */
const POSTGRES_JS = new Set(['ssl', 'sslnegotiation', 'max', 'idle_timeout', 'max_lifetime', 'max_pipeline', 'backoff', 'keep_alive', 'prepare', 'no_prepare', 'debug', 'fetch_types', 'publications']);
/** A value inside libpq's `options` (split on spaces, backslash escapes). */
const optionValue = (s) => s.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
/**
 * The URL pgshift connects with, as pg_dump's --dbname: the same host, port, user, database and libpq
 * parameters, without the password, which comes back separately for PGPASSWORD (from user:password@,
 * else from a `password` parameter). postgres.js's spellings become libpq's: `ssl` becomes sslmode, and
 * the server settings it sends from unknown parameters (search_path, statement_timeout …) go as -c in `options`.
 */
function pgDumpConnection(databaseUrl) {
    let u;
    try {
        u = new URL(databaseUrl);
    }
    catch {
        throw new ConfigError('the database URL is not a valid URL: use postgres://user:password@host:5432/database.');
    }
    if (!/^postgres(ql)?:$/i.test(u.protocol))
        throw new ConfigError('the database URL must start with postgres:// or postgresql://.');
    const decode = (s) => {
        try {
            return decodeURIComponent(s);
        }
        catch {
            return s;
        }
    };
    const params = [...u.searchParams];
    // As postgres.js and resolveCredentials read it: the user-info password wins over the parameter.
    const password = (u.password ? decode(u.password) : undefined) || params.find(([k]) => k === 'password')?.[1] || undefined;
    const out = [];
    const settings = [];
    for (const [k, v] of params) {
        if (k === 'password')
            continue;
        if (LIBPQ.has(k))
            out.push([k, v]);
        else if (!POSTGRES_JS.has(k))
            settings.push(`-c ${optionValue(`${k}=${v}`)}`);
    }
    const ssl = u.searchParams.get('ssl');
    if (ssl !== null && !u.searchParams.has('sslmode')) {
        // postgres.js: disable/false is no TLS, require/allow/prefer encrypt without verifying, anything else verifies.
        const mode = ['disable', 'false'].includes(ssl) ? 'disable' : ['require', 'allow', 'prefer', 'verify-ca', 'verify-full'].includes(ssl) ? ssl : 'verify-full';
        out.push(['sslmode', mode]);
    }
    if (settings.length) {
        const given = out.findIndex(([k]) => k === 'options');
        if (given >= 0)
            out[given] = ['options', `${out[given][1]} ${settings.join(' ')}`];
        else
            out.push(['options', settings.join(' ')]);
    }
    // Percent-encoded by hand: URLSearchParams writes a space as "+", which libpq reads as a plus sign.
    const query = out.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const userinfo = u.username ? `${u.username}@` : '';
    return { dbname: `${u.protocol}//${userinfo}${u.host}${u.pathname}${query ? `?${query}` : ''}`, password };
}
/** `"schema"."table"`: a pg_dump pattern in which every character is literal (double quotes doubled). */
function literalPattern(schema, table) {
    const q = (s) => `"${s.replace(/"/g, '""')}"`;
    return `${q(schema)}.${q(table)}`;
}
/** 20250102T030405Z. */
function utcStamp(d) {
    return d
        .toISOString()
        .replace(/\.\d+Z$/, 'Z')
        .replace(/[-:]/g, '');
}
/** A label fit for a file name: lower-case letters, digits and dashes; never a secret. */
function safeLabel(label, redactor) {
    const clean = label
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/-+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 48)
        .replace(/-$/, '');
    const secret = redactor.redact(label) !== label || redactor.values.some((s) => clean.includes(s.toLowerCase()));
    return clean && !secret ? clean : 'db';
}
/** Quotes a path for a POSIX shell when it needs it. */
function shellQuote(s) {
    return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
/**
 * How to bring the archive back, with "$DATABASE_URL" for the URL (it holds the password).
 *
 * full: over the live database, object by object (--clean --if-exists drops each before recreating it).
 *
 * auto: into a new scratch database on the same server, from which the user copies back what the run
 * destroyed (a dropped column's values, a table's rows). Never over the live database with --clean: the
 * archive holds every table's definition but only some tables' rows, so --clean would drop and recreate
 * every table and leave all the others empty. The scratch database's URL is $DATABASE_URL with its path
 * replaced (sed keeps the user, password, host, port and parameters such as sslmode or a socket's host=).
 */
function restoreCommandFor(mode, file, scratch) {
    const f = shellQuote(file);
    if (mode === 'full')
        return `pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" ${f}`;
    const url = `"$(printf '%s' "$DATABASE_URL" | sed -E 's#^([^:/?]+://[^/?]*)(/[^?]*)?#\\1/${scratch}#')"`;
    return `createdb --maintenance-db "$DATABASE_URL" ${scratch} && pg_restore --no-owner --dbname ${url} ${f}`;
}
/** Every user table (and materialized view), with which ones the archive must hold the rows of. */
async function listTables(sql, dataTables) {
    const rows = await sql.unsafe(`with recursive asked(oid) as (
        select to_regclass(t.name)::oid from json_array_elements_text($1::text::json) t(name) where to_regclass(t.name) is not null),
      keep(oid) as (
        select oid from asked
        union
        select i.inhrelid from pg_inherits i join keep k on i.inhparent = k.oid)
      select n.nspname as schema, c.relname as name, c.relkind::text as kind,
        quote_ident(n.nspname) || '.' || quote_ident(c.relname) as qualified,
        c.oid in (select oid from asked) as asked,
        c.oid in (select oid from keep) as keep,
        exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e') as extension
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'm') and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
      order by 1, 2`, [JSON.stringify(dataTables)]);
    return [...rows];
}
/** The catalog, read on `sql` when the caller has a session, else on a short connection of its own. */
async function withCatalog(databaseUrl, sql, redactor, fn) {
    if (sql)
        return fn(sql);
    const u = new URL(databaseUrl);
    const password = pgDumpConnection(databaseUrl).password;
    // postgres.js would send a `password` parameter to the server as a setting.
    u.searchParams.delete('password');
    const own = src(u.toString(), { max: 1, onnotice: () => { }, fetch_types: false, connect_timeout: 30, ...(password ? { password } : {}) });
    try {
        return await fn(own);
    }
    catch (err) {
        throw new BackupError(redactor.redact(`the backup could not read the list of tables: ${err?.message ?? String(err)}`));
    }
    finally {
        await own.end({ timeout: 1 }).catch(() => { });
    }
}
/** The tail of an output that may be long: what a message shows. */
const KEEP = 64 * 1024;
const tail = (s) => (s.length > KEEP ? `…${s.slice(-KEEP)}` : s);
/** Runs a client program (no shell), killed on abort; resolves once it has exited and closed its files. */
function run(path, args, env, signal) {
    return new Promise((resolvePromise, reject) => {
        const child = (0,external_node_child_process_namespaceObject.spawn)(path, args, { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout = tail(stdout + d.toString())));
        child.stderr.on('data', (d) => (stderr = tail(stderr + d.toString())));
        let aborted = false;
        let killer;
        const onAbort = () => {
            aborted = true;
            child.kill('SIGTERM');
            killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => {
            signal?.removeEventListener('abort', onAbort);
            clearTimeout(killer);
        };
        child.on('error', (err) => {
            done();
            reject(err);
        });
        child.on('close', (code, sig) => {
            done();
            if (aborted)
                reject(new AbortedError('interrupted while taking the backup: pg_dump was stopped and its partial archive removed'));
            else
                resolvePromise({ code, signal: sig, stdout, stderr });
        });
    });
}
/** The TOC entries of `pg_restore --list` (the lines that are not comments). */
function tocEntries(list) {
    return list.split(/\r?\n/).filter((l) => /^\d+;/.test(l));
}
/** Whether the list holds the rows of schema.table: "1234; 0 16390 TABLE DATA public users owner". */
function holdsData(entries, schema, table) {
    // pg_restore prints names raw, newlines turned into spaces.
    const want = `${schema} ${table}`.replace(/[\r\n]/g, ' ');
    return entries.some((l) => {
        const m = /^\d+; \d+ \d+ TABLE DATA (.*)$/.exec(l);
        return !!m && (m[1] === want || m[1].startsWith(`${want} `));
    });
}
/**
 * Writes a pg_dump archive (custom format) of the database, checks it with pg_restore --list, and
 * reports it. On any failure nothing is left in `dir` and a BackupError says what pg_dump said
 * (redacted) and the fix; an abort stops pg_dump and removes its partial file.
 */
async function takeBackup(o) {
    const started = Date.now();
    o.redactor.addUrl(o.databaseUrl);
    const aborted = () => new AbortedError('interrupted before the backup was written: nothing was dumped');
    if (o.signal?.aborted)
        throw aborted();
    const { dbname, password } = pgDumpConnection(o.databaseUrl);
    o.redactor.add(password);
    const env = { ...(o.tool.env ?? {}) };
    // The password, and only it, travels outside the URL; without one, libpq's own sources (an inherited
    // PGPASSWORD, ~/.pgpass) still apply, as they did for pgshift's connection.
    if (password)
        env.PGPASSWORD = password;
    const none = `${nameOf('backup', 'cli')} none`;
    const tables = await withCatalog(o.databaseUrl, o.sql, o.redactor, (sql) => listTables(sql, o.mode === 'auto' ? o.dataTables : []));
    if (o.signal?.aborted)
        throw aborted();
    const userTables = tables.filter((t) => !t.extension && t.kind !== 'm');
    const dataTables = o.mode === 'full' ? userTables.map((t) => t.qualified) : tables.filter((t) => t.asked).map((t) => t.qualified);
    // The tables whose TABLE DATA entry the archive must show (a partitioned table has none: its partitions do).
    const mustHold = o.mode === 'full' ? userTables.filter((t) => t.kind === 'r') : tables.filter((t) => t.keep && t.kind === 'r');
    const args = ['--format=custom', '--no-password'];
    if (o.mode === 'auto') {
        if (!tables.some((t) => t.keep))
            args.push('--schema-only');
        else
            for (const t of tables)
                if (!t.keep)
                    args.push(`--exclude-table-data=${literalPattern(t.schema, t.name)}`);
    }
    const dir = (0,external_node_path_namespaceObject.resolve)(o.dir);
    await (0,promises_namespaceObject.mkdir)(dir, { recursive: true });
    const stamp = utcStamp(o.now ?? new Date());
    const base = `pgshift-backup-${safeLabel(o.label, o.redactor)}-${stamp}`;
    // Two backups in the same second (another environment, a retry) never share a file.
    let name = `${base}.dump`;
    for (let i = 2; await exists((0,external_node_path_namespaceObject.join)(dir, name)); i++)
        name = `${base}-${i}.dump`;
    const file = (0,external_node_path_namespaceObject.join)(dir, name);
    const partial = (0,external_node_path_namespaceObject.join)(dir, `.${name}.partial`);
    args.push('--file', partial, '--dbname', dbname);
    let renamed = false;
    try {
        // Created first, owner-only: the archive holds the database's rows, and pg_dump keeps the mode.
        await (0,promises_namespaceObject.rm)(partial, { force: true });
        await (await (0,promises_namespaceObject.open)(partial, 'wx', 0o600)).close();
        const dump = await run(o.tool.path, args, env, o.signal);
        if (dump.code !== 0) {
            const said = dump.stderr.trim() || dump.stdout.trim() || 'nothing on stderr';
            throw new BackupError(o.redactor.redact(`the backup failed: ${o.tool.path} exited with ${dump.code !== null ? `code ${dump.code}` : `signal ${dump.signal}`}: ${said}\nNothing was written to ${dir}. Fix what pg_dump says (its role needs SELECT on every table it dumps, and on sequences), or pass ${none} to deploy without a backup.`));
        }
        await (0,promises_namespaceObject.rename)(partial, file);
        renamed = true;
        const list = await run(o.tool.restorePath, ['--list', file], env, o.signal);
        if (list.code !== 0) {
            throw new BackupError(o.redactor.redact(`the backup was written but pg_restore cannot read it (${o.tool.restorePath} --list exited with code ${list.code}): ${list.stderr.trim() || 'nothing on stderr'}\nThe archive was removed. Pass ${none} to deploy without a backup.`));
        }
        const entries = tocEntries(list.stdout);
        const missing = mustHold.filter((t) => !holdsData(entries, t.schema, t.name)).map((t) => t.qualified);
        if (missing.length) {
            throw new BackupError(`the backup does not hold the rows of ${missing.join(', ')} (pg_restore --list shows no TABLE DATA entry for ${missing.length === 1 ? 'it' : 'them'}): the archive was removed. Pass ${none} to deploy without a backup.`);
        }
        const { size } = await (0,promises_namespaceObject.stat)(file);
        const scratch = `pgshift_restore_${stamp.toLowerCase()}`;
        return {
            mode: o.mode,
            file,
            bytes: size,
            dataTables,
            entries: entries.length,
            tool: o.tool.version,
            restoreCommand: restoreCommandFor(o.mode, file, scratch),
            durationMs: Date.now() - started,
        };
    }
    catch (err) {
        await (0,promises_namespaceObject.rm)(partial, { force: true }).catch(() => { });
        if (renamed)
            await (0,promises_namespaceObject.rm)(file, { force: true }).catch(() => { });
        if (err instanceof BackupError || err instanceof AbortedError)
            throw err;
        // The program could not start (ENOENT, EACCES) or a file operation failed.
        throw new BackupError(o.redactor.redact(`the backup failed: ${err?.message ?? String(err)}. Pass ${none} to deploy without a backup.`));
    }
}
async function exists(path) {
    return (0,promises_namespaceObject.stat)(path).then(() => true, () => false);
}

;// CONCATENATED MODULE: ./src/commands/safety-net.ts
// The production safety net, decided once for every shell: a backup before anything is applied, health
// checks after, and an automatic rollback of what the run applied when a migration or a check fails.
// deploy.ts calls these in order under the migration lock; a dry run shows what they would do.




/** The net's settings from a shell's settings (the same rows in the CLI and the action). */
function netSettings(s, env) {
    return {
        backup: s.backup,
        pgDump: s.pgDump || undefined,
        backupDir: s.backupDir || env.RUNNER_TEMP || (0,external_node_os_namespaceObject.tmpdir)(),
        env,
        healthCheckSql: s.healthCheckSql || undefined,
        healthCheckUrl: s.healthCheckUrl || undefined,
        healthCheckTimeoutMs: s.healthCheckTimeout,
        rollbackOnFailure: s.rollbackOnFailure,
        allowIrreversible: s.allowIrreversible,
    };
}
function backupMode(net, isProtected) {
    if (!net || net.backup === '')
        return isProtected ? 'auto' : 'none';
    return net.backup;
}
/** Whether a deploy has anything of the safety net to do or show. */
function hasNet(net, isProtected) {
    return !!net && (backupMode(net, isProtected) !== 'none' || !!net.healthCheckSql || !!net.healthCheckUrl || net.rollbackOnFailure);
}
/**
 * A statement that can run again, or run after a partial failure, without failing on what is or is not
 * there: DROP … IF EXISTS, ALTER TABLE IF EXISTS … DROP … IF EXISTS, CREATE … IF NOT EXISTS.
 */
function idempotent(st) {
    const n = st.node;
    if (st.kind === 'DropStmt')
        return !!n.missing_ok;
    if (st.kind === 'IndexStmt' || st.kind === 'CreateStmt')
        return !!n.if_not_exists;
    if (st.kind === 'AlterTableStmt')
        return !!n.cmds?.every((c) => /^AT_Drop/.test(c.AlterTableCmd?.subtype ?? '') && c.AlterTableCmd?.missing_ok);
    return false;
}
/** Why a pending step cannot be rolled back automatically; undefined when it can. */
function whyIrreversible(step) {
    const m = step.migration;
    if (m.repeatable)
        return 'a repeatable migration is never rolled back (the previous text of its file is not kept)';
    if (!m.down)
        return 'it has no down section';
    if (step.transactional || m.down.empty)
        return undefined;
    // Outside a transaction a failure can leave part of the migration behind: its down must cope with that.
    const problems = [];
    const down = planStep(m, 'down', problems);
    if (problems.some((p) => p.blocking))
        return `it runs without a transaction and its down does not parse (${problems[0].message})`;
    const unsafe = down.statements.find((st) => !idempotent(st));
    if (!unsafe)
        return undefined;
    return `it runs without a transaction, so a failure can leave part of it behind, and its down is not safe to run then: line ${unsafe.line} (${unsafe.sql.split('\n')[0].slice(0, 80)}) fails on what is not there. Write the down with IF EXISTS`;
}
/** What the net does for `plan` in this environment: backup, checks, and which steps it could undo. */
function safetyNet(plan, net, isProtected, backupTables) {
    const rollbackOnFailure = net.rollbackOnFailure && plan.direction === 'up';
    const irreversible = [];
    const reversible = [];
    if (rollbackOnFailure) {
        for (const step of plan.steps) {
            const why = whyIrreversible(step);
            if (why)
                irreversible.push({ version: step.migration.version, name: step.migration.name, why });
            else
                reversible.push(step.migration.version);
        }
    }
    const health = [];
    if (net.healthCheckSql)
        health.push({ kind: 'sql', target: net.healthCheckSql });
    if (net.healthCheckUrl)
        health.push({ kind: 'url', target: net.healthCheckUrl });
    const mode = backupMode(net, isProtected);
    return { backup: mode, backupTables: mode === 'auto' ? backupTables : [], health, rollbackOnFailure, reversible: reversible.reverse(), irreversible };
}
/** With rollback-on-failure, a run that could not be undone is refused before anything runs. */
function checkReversible(n, net) {
    if (!n.rollbackOnFailure || !n.irreversible.length || net.allowIrreversible)
        return;
    throw new ValidationError(`refused before anything ran: --rollback-on-failure is set, but ${n.irreversible.length === 1 ? 'a pending migration' : `${n.irreversible.length} pending migrations`} cannot be rolled back automatically:\n${n.irreversible
        .map((i) => `  - ${i.version} ${i.name}: ${i.why}`)
        .join('\n')}\nGive each a down that can undo it, or pass --allow-irreversible to run anyway (a failure after them leaves them applied).`, []);
}
const safety_net_sleep = (ms, signal) => new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
});
/** Tries `probe` until it passes or `timeoutMs` is spent (at least once), with backoff between tries. */
async function retried(kind, target, probe, timeoutMs, signal) {
    const started = performance.now();
    const deadline = started + timeoutMs;
    let tries = 0;
    let last;
    for (let delay = 1000;; delay = Math.min(delay * 2, 10_000)) {
        tries++;
        // Each try gets what is left, but at least a few seconds: a 0s timeout still means one real try.
        last = await probe(Math.round(Math.max(5000, deadline - performance.now())));
        if (last.passed || signal?.aborted || performance.now() + delay > deadline)
            break;
        await safety_net_sleep(delay, signal);
    }
    return { kind, target, ...last, tries, durationMs: Math.round(performance.now() - started) };
}
/** The value of a health query's first column, as its verdict. */
function verdictOf(rows) {
    if (!rows.length)
        return { passed: false, returned: 'no rows' };
    const v = Object.values(rows[0])[0];
    if (v === true || v === 't' || v === 'true')
        return { passed: true, returned: 'true' };
    if (v === false || v === 'f' || v === 'false')
        return { passed: false, returned: 'false' };
    return { passed: false, returned: `${v === null ? 'null' : JSON.stringify(v)} (not true)` };
}
/** The configured health checks, each retried until it passes or the timeout is spent; in parallel. */
async function runHealthChecks(net, c) {
    const checks = [];
    const query = net.healthCheckSql;
    if (query) {
        checks.push(retried('sql', query, async (budget) => {
            try {
                // Read-only: a health check never changes the database it checks.
                const rows = await c.sql.begin('read only', async (tx) => {
                    await tx.unsafe(`set local statement_timeout = ${Math.round(budget)}`);
                    return (await tx.unsafe(query));
                });
                return verdictOf(rows);
            }
            catch (err) {
                return { passed: false, returned: `error: ${c.redactor.redact(err.message)}` };
            }
        }, net.healthCheckTimeoutMs, c.signal));
    }
    const url = net.healthCheckUrl;
    if (url) {
        checks.push(retried('url', c.redactor.redact(url), async (budget) => {
            try {
                const res = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(Math.round(Math.min(budget, 30_000))), ...(c.signal ? [c.signal] : [])]), redirect: 'follow' });
                await res.body?.cancel().catch(() => { });
                return { passed: res.ok, returned: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}` };
            }
            catch (err) {
                const e = err;
                const why = e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.cause?.message ?? e.message);
                return { passed: false, returned: `error: ${c.redactor.redact(why)}` };
            }
        }, net.healthCheckTimeoutMs, c.signal));
    }
    return (await Promise.all(checks)).map((r) => (c.afterRollback ? { ...r, afterRollback: true } : r));
}
/** "the health check failed (sql: false after 3 tries)". */
function healthFailure(results) {
    const failed = results.filter((r) => !r.passed);
    return `the health check failed (${failed.map((r) => `${r.kind}: ${r.returned}${r.tries > 1 ? ` after ${r.tries} tries` : ''}`).join('; ')})`;
}
/**
 * Rolls back, newest first with their downs, the steps this run applied (and a failed non-transactional
 * one, whose down is safe after a partial failure: checked before the run). Stops at the first down that
 * fails: what is still applied is then exactly said.
 */
async function rollBack(applied, failed, reason, o) {
    const undo = [...applied].reverse();
    // A non-transactional migration that failed part-way is marked failed: its down clears what it left.
    if (failed && !failed.step.transactional && failed.error.outcome === 'failed-needs-resolve' && !whyIrreversible(failed.step))
        undo.unshift(failed.step);
    // A repeatable is skipped (the next run makes it again); a migration with no down (allowed by
    // --allow-irreversible) stops the rollback there: undoing what came before it could break it.
    const reversible = undo.filter((s) => !s.migration.repeatable);
    const stop = reversible.findIndex((s) => !s.migration.down);
    const chosen = stop < 0 ? reversible : reversible.slice(0, stop);
    const versions = reversible.map((s) => s.migration.version);
    const problems = [];
    const downs = chosen.map((s) => {
        const d = planStep(s.migration, 'down', problems);
        const note = `automatic rollback: ${reason}`;
        return { ...d, historyNote: d.historyNote === EMPTY_DOWN_NOTE ? `${note}; ${EMPTY_DOWN_NOTE}` : note };
    });
    const outcome = await executePlan(downs, { ...o, singleTransaction: false });
    const rolledBack = outcome.steps.filter((s) => s.status === 'rolled-back').map((s) => s.version);
    const done = new Set(rolledBack);
    // What this run applied and could not undo (irreversible, allowed by --allow-irreversible, or the rollback stopped).
    const stillApplied = [...applied]
        .reverse()
        .map((s) => s.migration.version)
        .filter((v) => !done.has(v));
    const error = outcome.error
        ? `rolling back ${outcome.error.version} (${outcome.error.name}) failed at ${outcome.error.path}:${outcome.error.line}:${outcome.error.column}: ${outcome.error.message}`
        : stop >= 0
            ? `${reversible[stop].migration.version} (${reversible[stop].migration.name}) has no down: the rollback stopped there`
            : undefined;
    return { rollback: { reason, versions, rolledBack, stillApplied, error }, steps: outcome.steps };
}

;// CONCATENATED MODULE: ./src/commands/plan.ts









/**
 * What up/down would run. Without a database: with a baseline, the migrations added or changed since the
 * base are pending and the others count as applied; without one, every migration in the directory is
 * pending (linted as one batch, which hides findings on objects the earlier ones create).
 */
async function plan(o, selection) {
    await loadParser();
    if (o.baseline) {
        const catalog = new catalog_Catalog(o.dir);
        const atBase = appliedAtBase(catalog, o.baseline);
        const p = buildPlan(catalog, atBase, selection);
        // The base's newest migration is not a database's current version: no database was read.
        return withFindings({ ...p, currentVersion: null, baseline: { label: o.baseline.label, applied: atBase.rows.length } }, o.lint, true);
    }
    if (!o.databaseUrl) {
        return withFindings(buildPlan(new catalog_Catalog(o.dir), { exists: false, rows: [], databaseChecked: false }, selection), o.lint, true);
    }
    return withSession(o, async (s) => {
        const read = await s.sql.begin('read only', (tx) => s.tracking.read(tx, { adoptionPending: !!o.assumeApplied?.length }));
        const state = o.assumeApplied?.length ? withAssumed(read, o.assumeApplied, s.catalog) : read;
        if (!o.assumeApplied)
            await adoptionHint(s.sql, s.tracking, state.rows.length, o.onEvent);
        // Invalid indexes left by an interrupted CREATE INDEX CONCURRENTLY: named, and refused on a re-run.
        const p = await checkInvalidIndexes(s.sql, s.catalog, buildPlan(s.catalog, { ...state, databaseChecked: true }, selection));
        // What the database holds sharpens the findings (a DROP ... IF EXISTS of nothing, a retype without a rewrite).
        return withFindings(p, o.lint, true, await planFacts(s.sql, p, o.lint, true));
    });
}
/** The tracking rows as they would be after the adoption: each assumed migration with its file's checksum. */
function withAssumed(state, assumed, catalog) {
    const known = new Set(state.rows.map((r) => versionId(r.version)));
    const added = assumed
        .filter((a) => !known.has(versionId(a.version)))
        .map((a) => {
        const file = catalog.find(a.version);
        return { version: a.version, name: a.name, checksum: (file && catalog.checksum(file)) ?? '', status: a.status, appliedAt: null, executionTimeMs: null, errorMessage: null, appliedBy: null };
    });
    return { ...state, exists: true, unadopted: state.unadopted && added.length === 0, rows: [...state.rows, ...added] };
}
/** Whether `target` names a migration of the directory (or, for down, is 0: everything). */
function knownVersion(dir, target, direction) {
    if (!isVersion(target))
        return 'not-a-version';
    if (direction === 'down' && versionKey(target).every((p) => p === 0n))
        return 'known';
    return new Catalog(dir).find(target) ? 'known' : 'unknown';
}

;// CONCATENATED MODULE: ./src/db/shadow.ts
// The shadow database: a scratch database on a server where the role may CREATE DATABASE, made fresh
// for one command (pgshift_shadow_<random>) and dropped at its end, whatever the end. Migrations are
// replayed there to prove what they do; the target is never touched through it.





/** The same server and database, however the URLs spell them ("localhost" and "127.0.0.1" are not told apart). */
function sameDatabase(a, b) {
    const x = describeTarget(a);
    const y = describeTarget(b);
    const host = (h) => (h === 'localhost' || h === '::1' ? '127.0.0.1' : h.toLowerCase());
    return host(x.host) === host(y.host) && x.port === y.port && x.database === y.database;
}
function withDatabase(url, database) {
    const u = new URL(url);
    u.pathname = '/' + encodeURIComponent(database);
    return u.toString();
}
/**
 * Creates the shadow database on the server of `shadowUrl`. Refuses a shadow URL that names the target
 * database itself: everything replayed there would land in production.
 */
async function createShadow(shadowUrl, o) {
    o.redactor.addUrl(shadowUrl);
    if (o.targetUrl && sameDatabase(shadowUrl, o.targetUrl)) {
        throw new ConfigError(`the shadow database URL points at the target database itself (${whereOf(describeTarget(shadowUrl))}): pgshift would replay migrations into it. Give a scratch server where the role may CREATE DATABASE (in GitHub Actions, a services: postgres container).`);
    }
    const database = `pgshift_shadow_${(0,external_node_crypto_.randomBytes)(6).toString('hex')}`;
    const admin = src(shadowUrl, { max: 1, onnotice: () => { }, connect_timeout: Math.ceil((o.connectTimeoutMs ?? 10_000) / 1000), connection: { application_name: 'pgshift shadow' } });
    let major;
    try {
        const [{ v }] = await admin `select current_setting('server_version_num')::int / 10000 as v`;
        major = v;
        await admin.unsafe(`create database ${quoteIdent(database)}`);
    }
    catch (err) {
        await admin.end({ timeout: 1 }).catch(() => { });
        const e = err;
        if (e.code === '42501') {
            throw new ConfigError(`the shadow server (${whereOf(describeTarget(shadowUrl))}) does not let this role create databases: give it CREATEDB (ALTER ROLE … CREATEDB), or use a scratch server where it may.`);
        }
        throw new ConnectionError(o.redactor.redact(`could not prepare the shadow database on ${whereOf(describeTarget(shadowUrl))}: ${e.message ?? String(err)}`));
    }
    let dropped = false;
    return {
        url: withDatabase(shadowUrl, database),
        database,
        serverMajor: major,
        async drop() {
            if (dropped)
                return;
            dropped = true;
            try {
                // WITH (FORCE) ends any session still in it (Postgres 13 and later).
                await admin.unsafe(`drop database if exists ${quoteIdent(database)}${major >= 13 ? ' with (force)' : ''}`);
            }
            finally {
                await admin.end({ timeout: 1 }).catch(() => { });
            }
        },
    };
}

;// CONCATENATED MODULE: ./src/schema/inspect.ts
/** Tables other migration tools keep their history in: a database adopted from one still has it. */
const OTHER_TOOLS_TABLES = ['flyway_schema_history', 'goose_db_version', 'gorp_migrations', 'pgmigrations', '_prisma_migrations', 'golang_migrate_schema_migrations'];
/** pgshift's own tracking tables, in the tracking schema. */
const TRACKING_TABLES = ['schema_migrations', 'migration_history'];
/** Schemas of the system (and of other tools' bookkeeping), never the application's. */
const USER_NAMESPACE = `n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%' and n.nspname <> 'supabase_migrations'`;
/** Not a member of an extension: `catalog` is the object's system catalog. */
function notInExtension(catalog, oid) {
    return `not exists (select 1 from pg_depend e where e.classid = '${catalog}'::regclass and e.objid = ${oid} and e.deptype = 'e')`;
}
/** Grants to anyone but the owner, as sorted "grantee:PRIVILEGE" ("*" when grantable); the owner's own vary with who created it. */
function grants(acl, owner) {
    return `coalesce((select array_to_json(array_agg(g order by g))::text from (
      select case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end || ':' || a.privilege_type || case when a.is_grantable then '*' else '' end as g
        from aclexplode(${acl}) a where a.grantee <> ${owner}) s), '[]')`;
}
const QUERIES = {
    schemas: `select n.nspname as name, obj_description(n.oid, 'pg_namespace') as comment, pg_get_userbyid(n.nspowner) as owner, ${grants('n.nspacl', 'n.nspowner')} as privileges
      from pg_namespace n where ${USER_NAMESPACE} and ${notInExtension('pg_namespace', 'n.oid')}`,
    extensions: `select e.extname as name, n.nspname as schema, e.extversion as version from pg_extension e join pg_namespace n on n.oid = e.extnamespace`,
    tables: `select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind = 'p' as partitioned,
        case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
        case when c.relispartition then (select pn.nspname || '.' || pc.relname || ' ' || pg_get_expr(c.relpartbound, c.oid)
          from pg_inherits i join pg_class pc on pc.oid = i.inhparent join pg_namespace pn on pn.oid = pc.relnamespace where i.inhrelid = c.oid) end as partition_of,
        c.relrowsecurity as rls, c.relforcerowsecurity as rls_forced, obj_description(c.oid, 'pg_class') as comment,
        pg_get_userbyid(c.relowner) as owner, ${grants('c.relacl', 'c.relowner')} as privileges
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and ${USER_NAMESPACE} and ${notInExtension('pg_class', 'c.oid')}`,
    columns: `select a.attrelid::int8 as rel, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
        case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as "default",
        case a.attidentity when 'a' then 'always' when 'd' then 'by default' end as identity,
        case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) || case a.attgenerated when 's' then ' STORED' else ' VIRTUAL' end end as generated,
        case when a.attcollation <> t.typcollation then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
          from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation) end as collation,
        col_description(a.attrelid, a.attnum) as comment, a.attnum as num
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace join pg_type t on t.oid = a.atttypid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p') and ${USER_NAMESPACE}`,
    // NOT NULL is a column's (Postgres 18 also lists it here, as contype 'n'; older servers do not).
    constraints: `select k.conrelid::int8 as rel, k.conname as name, k.contype as type, pg_get_constraintdef(k.oid) as definition,
        k.condeferrable as deferrable, k.condeferred as deferred, k.convalidated as validated
      from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      where k.contype in ('p', 'u', 'f', 'c', 'x') and ${USER_NAMESPACE}`,
    // A primary key's, unique or exclusion constraint's index is the constraint's, compared there.
    indexes: `select i.indrelid::int8 as rel, ic.relname as name, pg_get_indexdef(i.indexrelid) as definition, i.indisunique as unique, i.indisvalid as valid
      from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'm') and ${USER_NAMESPACE}
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))`,
    triggers: `select t.tgrelid::int8 as rel, t.tgname as name, pg_get_triggerdef(t.oid) as definition, t.tgenabled as enabled
      from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where not t.tgisinternal and ${USER_NAMESPACE}`,
    policies: `select p.polrelid::int8 as rel, p.polname as name, p.polcmd as command, p.polpermissive as permissive,
        coalesce((select array_to_json(array_agg(r order by r))::text from (select case when x = 0 then 'PUBLIC' else pg_get_userbyid(x) end as r from unnest(p.polroles) x) s), '[]') as roles,
        pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as "check"
      from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
      where ${USER_NAMESPACE}`,
    views: `select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind = 'm' as materialized, pg_get_viewdef(c.oid) as definition,
        obj_description(c.oid, 'pg_class') as comment, pg_get_userbyid(c.relowner) as owner, ${grants('c.relacl', 'c.relowner')} as privileges
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('v', 'm') and ${USER_NAMESPACE} and ${notInExtension('pg_class', 'c.oid')}`,
    // An identity column's sequence is the column's (its identity is compared there).
    sequences: `select n.nspname as schema, c.relname as name, format_type(s.seqtypid, null) as type, s.seqstart::text as start, s.seqincrement::text as increment,
        s.seqmin::text as min, s.seqmax::text as max, s.seqcache::text as cache, s.seqcycle as cycle,
        (select tn.nspname || '.' || tc.relname || '.' || a.attname from pg_depend d join pg_class tc on tc.oid = d.refobjid
           join pg_namespace tn on tn.oid = tc.relnamespace join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
          where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass and d.deptype = 'a' limit 1) as owned_by,
        pg_get_userbyid(c.relowner) as owner, ${grants('c.relacl', 'c.relowner')} as privileges
      from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
      where ${USER_NAMESPACE} and ${notInExtension('pg_class', 'c.oid')}
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'i')`,
    types: `select t.oid::int8 as oid, n.nspname as schema, t.typname as name, t.typtype as kind, t.typrelid::int8 as relid,
        case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end as base, t.typnotnull as not_null, t.typdefault as "default",
        pg_get_userbyid(t.typowner) as owner
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where (t.typtype in ('e', 'd') or (t.typtype = 'c' and (select r.relkind from pg_class r where r.oid = t.typrelid) = 'c'))
        and ${USER_NAMESPACE} and ${notInExtension('pg_type', 't.oid')}`,
    enumValues: `select e.enumtypid::int8 as type, e.enumlabel as label from pg_enum e join pg_type t on t.oid = e.enumtypid join pg_namespace n on n.oid = t.typnamespace
      where ${USER_NAMESPACE} order by e.enumtypid, e.enumsortorder`,
    domainChecks: `select k.contypid::int8 as type, k.conname || ' ' || pg_get_constraintdef(k.oid) as check
      from pg_constraint k join pg_type t on t.oid = k.contypid join pg_namespace n on n.oid = t.typnamespace
      where k.contypid <> 0 and k.contype = 'c' and ${USER_NAMESPACE}`,
    compositeAttributes: `select a.attrelid::int8 as rel, a.attname as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'c' and a.attnum > 0 and not a.attisdropped and ${USER_NAMESPACE} order by a.attrelid, a.attnum`,
    functions: `select n.nspname as schema, p.proname as name, pg_get_function_identity_arguments(p.oid) as args, p.prokind as kind,
        case when p.prokind = 'a' then (select 'CREATE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ') ('
            || 'SFUNC = ' || g.aggtransfn::regproc::text || ', STYPE = ' || format_type(g.aggtranstype, null)
            || coalesce(', FINALFUNC = ' || nullif(g.aggfinalfn, 0)::regproc::text, '') || coalesce(', INITCOND = ' || quote_literal(g.agginitval), '') || ')'
          from pg_aggregate g where g.aggfnoid = p.oid)
          else pg_get_functiondef(p.oid) end as definition,
        pg_get_userbyid(p.proowner) as owner, ${grants('p.proacl', 'p.proowner')} as privileges
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where ${USER_NAMESPACE} and ${notInExtension('pg_proc', 'p.oid')}`,
    server: `select current_setting('server_version_num')::int / 10000 as major`,
};
/** Byte order, never the locale's: the same bytes on every machine. */
function byName(a, b) {
    const x = `${a.schema ?? ''}.${a.name}`;
    const y = `${b.schema ?? ''}.${b.name}`;
    return x < y ? -1 : x > y ? 1 : 0;
}
const CONSTRAINT_KINDS = { p: 'primary key', u: 'unique', f: 'foreign key', c: 'check', x: 'exclusion' };
const TRIGGER_ENABLED = { O: 'origin', D: 'disabled', R: 'replica', A: 'always' };
const POLICY_COMMANDS = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };
const FUNCTION_KINDS = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window' };
/** Rows grouped by a numeric key column, each group in query order. */
function groupBy(rows, key) {
    const out = new Map();
    for (const r of rows) {
        const k = String(r[key]);
        const list = out.get(k);
        if (list)
            list.push(r);
        else
            out.set(k, [r]);
    }
    return out;
}
const str = (v) => (v === null || v === undefined ? null : String(v));
/** A list sent as JSON text: the same on any connection, whatever array parsing it has. */
const inspect_list = (v) => (typeof v === 'string' ? JSON.parse(v) : Array.isArray(v) ? v : []);
const owned = (def, owner, include) => (include ? { ...def, owner: String(owner) } : def);
/** All queries at once, pipelined on one connection inside one repeatable-read snapshot. */
async function readCatalogs(sql) {
    const names = Object.keys(QUERIES);
    const results = await sql.begin('isolation level repeatable read read only', (tx) => names.map((n) => tx.unsafe(QUERIES[n])));
    return Object.fromEntries(names.map((n, i) => [n, [...results[i]]]));
}
async function inspect(sql, options = {}) {
    const rows = await readCatalogs(sql);
    const tracking = options.trackingSchema ?? 'public';
    const own = options.includeOwners;
    const isBookkeeping = (schema, name) => (schema === tracking && TRACKING_TABLES.includes(name)) || OTHER_TOOLS_TABLES.includes(name);
    const columns = groupBy(rows.columns, 'rel');
    const constraints = groupBy(rows.constraints, 'rel');
    const indexes = groupBy(rows.indexes, 'rel');
    const triggers = groupBy(rows.triggers, 'rel');
    const policies = groupBy(rows.policies, 'rel');
    const indexDefs = (rel) => (indexes.get(rel) ?? []).map((r) => ({ name: String(r.name), definition: String(r.definition), unique: Boolean(r.unique), valid: Boolean(r.valid) })).sort(byName);
    const tables = rows.tables
        .filter((t) => !isBookkeeping(String(t.schema), String(t.name)))
        .map((t) => {
        const rel = String(t.oid);
        const cols = (columns.get(rel) ?? [])
            .sort((a, b) => Number(a.num) - Number(b.num))
            .map((c, i) => ({
            name: String(c.name),
            type: String(c.type),
            notNull: Boolean(c.not_null),
            default: str(c.default),
            identity: c.identity ?? null,
            generated: str(c.generated),
            collation: str(c.collation),
            comment: str(c.comment),
            position: i + 1,
        }));
        const cons = (constraints.get(rel) ?? [])
            .map((k) => ({
            name: String(k.name),
            kind: CONSTRAINT_KINDS[String(k.type)],
            definition: String(k.definition),
            deferrable: Boolean(k.deferrable),
            initiallyDeferred: Boolean(k.deferred),
            validated: Boolean(k.validated),
        }))
            .sort(byName);
        const trigs = (triggers.get(rel) ?? [])
            .map((g) => ({ name: String(g.name), definition: String(g.definition), enabled: TRIGGER_ENABLED[String(g.enabled)] ?? 'origin' }))
            .sort(byName);
        const pols = (policies.get(rel) ?? [])
            .map((p) => ({
            name: String(p.name),
            command: POLICY_COMMANDS[String(p.command)] ?? 'ALL',
            permissive: Boolean(p.permissive),
            roles: inspect_list(p.roles),
            using: str(p.using),
            check: str(p.check),
        }))
            .sort(byName);
        const def = {
            schema: String(t.schema),
            name: String(t.name),
            partitioned: Boolean(t.partitioned),
            partitionKey: str(t.partition_key),
            partitionOf: str(t.partition_of),
            columns: cols,
            constraints: cons,
            indexes: indexDefs(rel),
            triggers: trigs,
            policies: pols,
            rowSecurity: { enabled: Boolean(t.rls), forced: Boolean(t.rls_forced) },
            comment: str(t.comment),
            privileges: inspect_list(t.privileges),
        };
        return owned(def, t.owner, own);
    })
        .sort(byName);
    const views = rows.views
        .map((v) => owned({
        schema: String(v.schema),
        name: String(v.name),
        materialized: Boolean(v.materialized),
        definition: String(v.definition),
        indexes: indexDefs(String(v.oid)),
        comment: str(v.comment),
        privileges: inspect_list(v.privileges),
    }, v.owner, own))
        .sort(byName);
    const enumValues = groupBy(rows.enumValues, 'type');
    const domainChecks = groupBy(rows.domainChecks, 'type');
    const attributes = groupBy(rows.compositeAttributes, 'rel');
    const types = rows.types
        .map((t) => {
        const base = { schema: String(t.schema), name: String(t.name) };
        const oid = String(t.oid);
        const def = t.kind === 'e'
            ? { ...base, kind: 'enum', values: (enumValues.get(oid) ?? []).map((e) => String(e.label)) }
            : t.kind === 'd'
                ? {
                    ...base,
                    kind: 'domain',
                    base: String(t.base),
                    notNull: Boolean(t.not_null),
                    default: str(t.default),
                    checks: (domainChecks.get(oid) ?? []).map((c) => String(c.check)).sort(),
                }
                : { ...base, kind: 'composite', attributes: (attributes.get(String(t.relid)) ?? []).map((a) => ({ name: String(a.name), type: String(a.type) })) };
        return owned(def, t.owner, own);
    })
        .sort(byName);
    return {
        serverMajor: Number(rows.server[0]?.major ?? 0),
        schemas: rows.schemas
            // A dedicated tracking schema is pgshift's; public is everyone's.
            .filter((s) => !(s.name === tracking && tracking !== 'public'))
            .map((s) => owned({ name: String(s.name), comment: str(s.comment), privileges: inspect_list(s.privileges) }, s.owner, own))
            .sort(byName),
        extensions: rows.extensions.map((e) => ({ name: String(e.name), schema: String(e.schema), version: String(e.version) })).sort(byName),
        types,
        sequences: rows.sequences
            .map((s) => owned({
            schema: String(s.schema),
            name: String(s.name),
            type: String(s.type),
            start: String(s.start),
            increment: String(s.increment),
            min: String(s.min),
            max: String(s.max),
            cache: String(s.cache),
            cycle: Boolean(s.cycle),
            ownedBy: str(s.owned_by),
            privileges: inspect_list(s.privileges),
        }, s.owner, own))
            .sort(byName),
        tables,
        views,
        functions: rows.functions
            .map((f) => owned({
            schema: String(f.schema),
            name: String(f.name),
            args: String(f.args),
            kind: FUNCTION_KINDS[String(f.kind)] ?? 'function',
            definition: String(f.definition),
            privileges: inspect_list(f.privileges),
        }, f.owner, own))
            .sort((a, b) => byName(a, b) || (a.args < b.args ? -1 : a.args > b.args ? 1 : 0)),
    };
}

;// CONCATENATED MODULE: ./src/schema/compare.ts
const BEFORE_AFTER = { onlyInA: 'removed', onlyInB: 'added' };
const EXPECTED_ACTUAL = { onlyInA: 'missing', onlyInB: 'not made by the migrations' };
/** "tasks" for public.tasks, "app.tasks" elsewhere: what a reviewer of a public-schema app expects. */
function shortName(schema, name) {
    return schema === 'public' ? name : `${schema}.${name}`;
}
function describeDifference(d, words = BEFORE_AFTER) {
    const what = d.change === 'only-in-a' ? words.onlyInA : d.change === 'only-in-b' ? words.onlyInB : d.details.join('; ');
    return `${d.kind} ${d.object}: ${what}${d.note ? ' (a note, not a difference)' : ''}`;
}
const arrow = (a, b) => `${compare_show(a)} → ${compare_show(b)}`;
function compare_show(v) {
    if (v === null || v === undefined)
        return 'none';
    if (Array.isArray(v))
        return v.length ? v.join(', ') : 'none';
    return String(v);
}
/** The same two lists keyed by name: what only one side has, and the pairs present in both. */
function pairUp(a, b, key) {
    const mapB = new Map(b.map((x) => [key(x), x]));
    const keysA = new Set(a.map(key));
    return {
        onlyA: a.filter((x) => !mapB.has(key(x))),
        onlyB: b.filter((x) => !keysA.has(key(x))),
        both: a.filter((x) => mapB.has(key(x))).map((x) => [x, mapB.get(key(x))]),
    };
}
function privilegeChanges(a, b) {
    const added = b.filter((g) => !a.includes(g));
    const removed = a.filter((g) => !b.includes(g));
    if (!added.length && !removed.length)
        return [];
    return [`privileges ${[...removed.map((g) => `-${g}`), ...added.map((g) => `+${g}`)].join(' ')}`];
}
function ownerChange(a, b) {
    return a.owner !== undefined && b.owner !== undefined && a.owner !== b.owner ? [`owner ${arrow(a.owner, b.owner)}`] : [];
}
class Collector {
    out = [];
    /** Adds the differences of one kind of named object, with `changes` for the pairs in both. */
    add(kind, a, b, key, label, changes, table) {
        const k = (x) => (typeof kind === 'function' ? kind(x) : kind);
        const { onlyA, onlyB, both } = pairUp(a, b, key);
        for (const x of onlyA)
            this.out.push({ kind: k(x), object: label(x), change: 'only-in-a', details: [], table });
        for (const x of onlyB)
            this.out.push({ kind: k(x), object: label(x), change: 'only-in-b', details: [], table });
        for (const [x, y] of both) {
            const details = changes(x, y);
            if (details.length)
                this.out.push({ kind: k(y), object: label(y), change: 'changed', details, table });
        }
        return both;
    }
}
function columnChanges(a, b) {
    const out = [];
    if (a.type !== b.type)
        out.push(`type ${arrow(a.type, b.type)}`);
    if (a.notNull !== b.notNull)
        out.push(a.notNull ? 'NOT NULL → nullable' : 'nullable → NOT NULL');
    if (a.default !== b.default)
        out.push(`default ${arrow(a.default, b.default)}`);
    if (a.identity !== b.identity)
        out.push(`identity ${arrow(a.identity, b.identity)}`);
    if (a.generated !== b.generated)
        out.push(`generated ${arrow(a.generated, b.generated)}`);
    if (a.collation !== b.collation)
        out.push(`collation ${arrow(a.collation ?? 'default', b.collation ?? 'default')}`);
    if (a.comment !== b.comment)
        out.push('comment changed');
    return out;
}
function constraintChanges(a, b) {
    const out = [];
    if (a.kind !== b.kind || a.definition.replace(/ NOT VALID$/, '') !== b.definition.replace(/ NOT VALID$/, ''))
        out.push(`definition ${arrow(a.definition, b.definition)}`);
    if (a.validated !== b.validated)
        out.push(a.validated ? 'validated → NOT VALID' : 'NOT VALID → validated');
    if (a.deferrable !== b.deferrable || a.initiallyDeferred !== b.initiallyDeferred)
        out.push(`deferrable ${arrow(deferral(a), deferral(b))}`);
    return out;
}
const deferral = (c) => (!c.deferrable ? 'not deferrable' : c.initiallyDeferred ? 'initially deferred' : 'initially immediate');
function indexChanges(a, b) {
    const out = [];
    if (a.definition !== b.definition)
        out.push(`definition ${arrow(a.definition, b.definition)}`);
    if (a.valid !== b.valid)
        out.push(a.valid ? 'valid → INVALID' : 'INVALID → valid');
    return out;
}
function triggerChanges(a, b) {
    const out = [];
    if (a.definition !== b.definition)
        out.push('definition changed');
    if (a.enabled !== b.enabled)
        out.push(`${a.enabled === 'disabled' ? 'disabled' : 'enabled'} → ${b.enabled === 'disabled' ? 'disabled' : b.enabled === 'origin' ? 'enabled' : `enabled (${b.enabled})`}`);
    return out;
}
function policyChanges(a, b) {
    const out = [];
    if (a.command !== b.command)
        out.push(`command ${arrow(a.command, b.command)}`);
    if (a.permissive !== b.permissive)
        out.push(a.permissive ? 'permissive → restrictive' : 'restrictive → permissive');
    if (compare_show(a.roles) !== compare_show(b.roles))
        out.push(`roles ${arrow(a.roles, b.roles)}`);
    if (a.using !== b.using)
        out.push('USING changed');
    if (a.check !== b.check)
        out.push('WITH CHECK changed');
    return out;
}
function tableChanges(a, b) {
    const out = [];
    if (a.partitioned !== b.partitioned || a.partitionKey !== b.partitionKey)
        out.push(`partitioning ${arrow(a.partitionKey ?? 'none', b.partitionKey ?? 'none')}`);
    if (a.partitionOf !== b.partitionOf)
        out.push(`partition of ${arrow(a.partitionOf, b.partitionOf)}`);
    if (a.rowSecurity.enabled !== b.rowSecurity.enabled)
        out.push(`row-level security ${a.rowSecurity.enabled ? 'enabled → disabled' : 'disabled → enabled'}`);
    if (a.rowSecurity.forced !== b.rowSecurity.forced)
        out.push(`row-level security ${a.rowSecurity.forced ? 'forced → not forced' : 'not forced → forced'}`);
    if (a.comment !== b.comment)
        out.push('comment changed');
    return [...out, ...privilegeChanges(a.privileges, b.privileges), ...ownerChange(a, b)];
}
function typeChanges(a, b) {
    if (a.kind !== b.kind)
        return [`kind ${arrow(a.kind, b.kind)}`];
    const out = [];
    if (a.kind === 'enum' && b.kind === 'enum' && compare_show(a.values) !== compare_show(b.values))
        out.push(`values ${arrow(a.values, b.values)}`);
    if (a.kind === 'domain' && b.kind === 'domain') {
        if (a.base !== b.base)
            out.push(`type ${arrow(a.base, b.base)}`);
        if (a.notNull !== b.notNull)
            out.push(a.notNull ? 'NOT NULL → nullable' : 'nullable → NOT NULL');
        if (a.default !== b.default)
            out.push(`default ${arrow(a.default, b.default)}`);
        if (compare_show(a.checks) !== compare_show(b.checks))
            out.push(`checks ${arrow(a.checks, b.checks)}`);
    }
    if (a.kind === 'composite' && b.kind === 'composite') {
        const attrs = (t) => t.attributes.map((x) => `${x.name} ${x.type}`);
        if (compare_show(attrs(a)) !== compare_show(attrs(b)))
            out.push(`attributes ${arrow(attrs(a), attrs(b))}`);
    }
    return [...out, ...ownerChange(a, b)];
}
/** The differences from `a` to `b`, tables first, each table's parts after it. */
function compare(a, b) {
    const c = new Collector();
    const q = (x) => `${x.schema}.${x.name}`;
    const label = (x) => shortName(x.schema, x.name);
    c.add('schema', a.schemas, b.schemas, (x) => x.name, (x) => x.name, (x, y) => [...(x.comment !== y.comment ? ['comment changed'] : []), ...privilegeChanges(x.privileges, y.privileges), ...ownerChange(x, y)]);
    c.add('extension', a.extensions, b.extensions, (x) => x.name, (x) => x.name, (x, y) => [...(x.schema !== y.schema ? [`schema ${arrow(x.schema, y.schema)}`] : []), ...(x.version !== y.version ? [`version ${arrow(x.version, y.version)}`] : [])]);
    c.add('type', a.types, b.types, q, label, typeChanges);
    c.add('sequence', a.sequences, b.sequences, q, label, (x, y) => {
        const fields = ['type', 'start', 'increment', 'min', 'max', 'cache', 'cycle', 'ownedBy'];
        return [...fields.filter((f) => x[f] !== y[f]).map((f) => `${f === 'ownedBy' ? 'owned by' : f} ${arrow(x[f], y[f])}`), ...privilegeChanges(x.privileges, y.privileges), ...ownerChange(x, y)];
    });
    const tables = c.add('table', a.tables, b.tables, q, label, tableChanges);
    for (const [x, y] of tables) {
        const t = label(y);
        const table = q(y);
        c.add('column', x.columns, y.columns, (col) => col.name, (col) => `${t}.${col.name}`, columnChanges, table);
        // Order among the columns both sides have: where a column sits is the table's layout, not its meaning.
        const shared = (cols, other) => cols.filter((col) => other.some((o) => o.name === col.name)).map((col) => col.name);
        const orderA = shared(x.columns, y.columns);
        const orderB = shared(y.columns, x.columns);
        if (orderA.join(',') !== orderB.join(','))
            c.out.push({ kind: 'table', object: t, change: 'changed', details: [`column order ${arrow(orderA, orderB)}`], table, note: true });
        c.add('constraint', x.constraints, y.constraints, (k) => k.name, (k) => `${k.name} on ${t}`, constraintChanges, table);
        c.add('index', x.indexes, y.indexes, (i) => i.name, (i) => i.name, indexChanges, table);
        c.add('trigger', x.triggers, y.triggers, (g) => g.name, (g) => `${g.name} on ${t}`, triggerChanges, table);
        c.add('policy', x.policies, y.policies, (p) => p.name, (p) => `${p.name} on ${t}`, policyChanges, table);
    }
    const views = c.add((v) => (v.materialized ? 'materialized view' : 'view'), a.views, b.views, q, label, (x, y) => [
        ...(x.materialized !== y.materialized ? [`materialized ${arrow(x.materialized, y.materialized)}`] : []),
        ...(x.definition !== y.definition ? ['definition changed'] : []),
        ...(x.comment !== y.comment ? ['comment changed'] : []),
        ...privilegeChanges(x.privileges, y.privileges),
        ...ownerChange(x, y),
    ]);
    for (const [x, y] of views)
        c.add('index', x.indexes, y.indexes, (i) => i.name, (i) => i.name, indexChanges, q(y));
    c.add((f) => (f.kind === 'window' ? 'function' : f.kind), a.functions, b.functions, (f) => `${q(f)}(${f.args})`, (f) => `${label(f)}(${f.args})`, (x, y) => [...(x.definition !== y.definition ? ['definition changed'] : []), ...privilegeChanges(x.privileges, y.privileges), ...ownerChange(x, y)]);
    return c.out;
}
/** The differences that are differences (not notes). */
function realDifferences(diffs) {
    return diffs.filter((d) => !d.note);
}

;// CONCATENATED MODULE: ./src/schema/render.ts
// A schema model as diff-friendly, SQL-like text: one object per block, blocks in a fixed order of kinds
// and sorted by name within each, so the same schema gives the same bytes on every run. It reads like
// SQL but is a description, not a script to replay (objects are not ordered by dependency).

const ident = (name) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name));
const render_qualified = (x) => `${ident(x.schema)}.${ident(x.name)}`;
const render_literal = (text) => `'${text.replace(/'/g, "''")}'`;
/** "GRANT SELECT ON TABLE public.t TO app;" per grant; a grantable one WITH GRANT OPTION. */
function grantLines(on, grants) {
    return grants.map((g) => {
        const [grantee, privilege] = g.split(':');
        const grantable = privilege.endsWith('*');
        return `GRANT ${grantable ? privilege.slice(0, -1) : privilege} ON ${on} TO ${grantee === 'PUBLIC' ? 'PUBLIC' : ident(grantee)}${grantable ? ' WITH GRANT OPTION' : ''};`;
    });
}
function column(c) {
    const parts = [`    ${ident(c.name)} ${c.type}`];
    if (c.collation)
        parts.push(`COLLATE ${c.collation}`);
    if (c.notNull)
        parts.push('NOT NULL');
    if (c.default !== null)
        parts.push(`DEFAULT ${c.default}`);
    if (c.identity)
        parts.push(`GENERATED ${c.identity.toUpperCase()} AS IDENTITY`);
    if (c.generated) {
        const m = c.generated.match(/^([\s\S]*) (STORED|VIRTUAL)$/);
        parts.push(m ? `GENERATED ALWAYS AS (${m[1]}) ${m[2]}` : `GENERATED ALWAYS AS (${c.generated})`);
    }
    return parts.join(' ');
}
function table(t) {
    const name = render_qualified(t);
    const body = [...t.columns.map(column), ...t.constraints.map((k) => `    CONSTRAINT ${ident(k.name)} ${k.definition}`)];
    let head = `CREATE TABLE ${name} (\n${body.join(',\n')}\n)`;
    if (t.partitionOf)
        head = `CREATE TABLE ${name} PARTITION OF ${t.partitionOf}`;
    if (t.partitionKey)
        head += ` PARTITION BY ${t.partitionKey}`;
    const lines = [`${head};`];
    if (t.owner)
        lines.push(`ALTER TABLE ${name} OWNER TO ${ident(t.owner)};`);
    for (const i of t.indexes)
        lines.push(`${i.definition};${i.valid ? '' : ' -- INVALID'}`);
    if (t.rowSecurity.enabled)
        lines.push(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`);
    if (t.rowSecurity.forced)
        lines.push(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY;`);
    for (const p of t.policies) {
        const roles = p.roles.length ? p.roles.map((r) => (r === 'PUBLIC' ? 'PUBLIC' : ident(r))).join(', ') : 'PUBLIC';
        lines.push(`CREATE POLICY ${ident(p.name)} ON ${name} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${p.command} TO ${roles}${p.using ? ` USING (${p.using})` : ''}${p.check ? ` WITH CHECK (${p.check})` : ''};`);
    }
    for (const g of t.triggers) {
        lines.push(`${g.definition};`);
        if (g.enabled !== 'origin')
            lines.push(`ALTER TABLE ${name} ${g.enabled === 'disabled' ? 'DISABLE' : `ENABLE ${g.enabled.toUpperCase()}`} TRIGGER ${ident(g.name)};`);
    }
    if (t.comment !== null)
        lines.push(`COMMENT ON TABLE ${name} IS ${render_literal(t.comment)};`);
    for (const c of t.columns)
        if (c.comment !== null)
            lines.push(`COMMENT ON COLUMN ${name}.${ident(c.name)} IS ${render_literal(c.comment)};`);
    lines.push(...grantLines(`TABLE ${name}`, t.privileges));
    return lines.join('\n');
}
function render(model) {
    const blocks = [];
    for (const s of model.schemas) {
        const lines = s.name === 'public' ? [] : [`CREATE SCHEMA ${ident(s.name)};`];
        if (s.owner)
            lines.push(`ALTER SCHEMA ${ident(s.name)} OWNER TO ${ident(s.owner)};`);
        if (s.comment !== null)
            lines.push(`COMMENT ON SCHEMA ${ident(s.name)} IS ${render_literal(s.comment)};`);
        lines.push(...grantLines(`SCHEMA ${ident(s.name)}`, s.privileges));
        if (lines.length)
            blocks.push(lines.join('\n'));
    }
    for (const e of model.extensions)
        blocks.push(`CREATE EXTENSION ${ident(e.name)} WITH SCHEMA ${ident(e.schema)} VERSION ${render_literal(e.version)};`);
    for (const t of model.types) {
        const name = render_qualified(t);
        let text;
        if (t.kind === 'enum')
            text = `CREATE TYPE ${name} AS ENUM (${t.values.map(render_literal).join(', ')});`;
        else if (t.kind === 'composite')
            text = `CREATE TYPE ${name} AS (${t.attributes.map((a) => `${ident(a.name)} ${a.type}`).join(', ')});`;
        else
            text = [`CREATE DOMAIN ${name} AS ${t.base}`, t.notNull ? ' NOT NULL' : '', t.default !== null ? ` DEFAULT ${t.default}` : '', ...t.checks.map((c) => `\n    CONSTRAINT ${c}`), ';'].join('');
        blocks.push(t.owner ? `${text}\nALTER TYPE ${name} OWNER TO ${ident(t.owner)};` : text);
    }
    for (const s of model.sequences) {
        const name = render_qualified(s);
        const lines = [`CREATE SEQUENCE ${name} AS ${s.type} START ${s.start} INCREMENT ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} CACHE ${s.cache}${s.cycle ? ' CYCLE' : ''};`];
        if (s.ownedBy)
            lines.push(`ALTER SEQUENCE ${name} OWNED BY ${s.ownedBy};`);
        if (s.owner)
            lines.push(`ALTER SEQUENCE ${name} OWNER TO ${ident(s.owner)};`);
        lines.push(...grantLines(`SEQUENCE ${name}`, s.privileges));
        blocks.push(lines.join('\n'));
    }
    for (const t of model.tables)
        blocks.push(table(t));
    for (const v of model.views) {
        const name = render_qualified(v);
        const lines = [`CREATE ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name} AS\n${v.definition.trimEnd().replace(/;$/, '')};`];
        if (v.owner)
            lines.push(`ALTER ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name} OWNER TO ${ident(v.owner)};`);
        for (const i of v.indexes)
            lines.push(`${i.definition};`);
        if (v.comment !== null)
            lines.push(`COMMENT ON ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name} IS ${render_literal(v.comment)};`);
        lines.push(...grantLines(`TABLE ${name}`, v.privileges));
        blocks.push(lines.join('\n'));
    }
    for (const f of model.functions) {
        const signature = `${render_qualified(f)}(${f.args})`;
        const keyword = f.kind === 'procedure' ? 'PROCEDURE' : f.kind === 'aggregate' ? 'AGGREGATE' : 'FUNCTION';
        const lines = [`${f.definition.trimEnd().replace(/;$/, '')};`];
        if (f.owner)
            lines.push(`ALTER ${keyword} ${signature} OWNER TO ${ident(f.owner)};`);
        lines.push(...grantLines(`${keyword === 'AGGREGATE' ? 'FUNCTION' : keyword} ${signature}`, f.privileges));
        blocks.push(lines.join('\n'));
    }
    // No server version in the text: the same schema on two majors should give the same bytes.
    return `-- Schema as pgshift reads it from the catalogs; pgshift's tracking tables are left out.\n\n${blocks.join('\n\n')}\n`;
}

;// CONCATENATED MODULE: ./src/schema/proof.ts
/** A verdict that fails the check: anything but verified, skipped-after-nothing, or no-down when that is allowed. */
function failedVerdicts(proof, allowNoDown) {
    return proof.verdicts.filter((v) => v.verdict !== 'verified' && !(v.verdict === 'no-down' && allowNoDown));
}

;// CONCATENATED MODULE: ./src/schema/index.ts
// The schema model: inspect a live database, compare two models, render one as text.






;// CONCATENATED MODULE: ./src/commands/verify.ts








/** The target's applied versions (none without a database) and its server's major version. */
async function targetState(o) {
    if (!o.databaseUrl)
        return { applied: [], current: null };
    return withSession(o, async (s) => {
        const state = await s.sql.begin('read only', (tx) => s.tracking.read(tx));
        const [{ major }] = await s.sql `select current_setting('server_version_num')::int / 10000 as major`;
        const applied = state.rows.filter((r) => r.status === 'applied').map((r) => r.version);
        const versioned = applied.filter((v) => !isRepeatableVersion(v));
        const catalog = s.catalog;
        // The newest applied version the directory knows: the shadow is brought up to it.
        const known = catalog.files.filter((f) => versioned.some((v) => catalog.find(v) === f));
        return { applied, current: known.length ? known[known.length - 1].version : null, major };
    });
}
/** Runs `fn` with a fresh shadow database, dropped afterwards in every case. */
async function withShadow(o, fn) {
    if (!o.shadowUrl)
        throw new ConfigError(`no shadow database given: pass ${SETTINGS.shadowUrl.flag} (or set PGSHIFT_SHADOW_URL), a server where the role may CREATE DATABASE.`);
    const redactor = redactorFor(o);
    const shadow = await createShadow(o.shadowUrl, { targetUrl: o.databaseUrl, redactor, connectTimeoutMs: o.connectTimeoutMs });
    try {
        // The shadow's own engine events (its connections, its tracking table) are not the user's business.
        const at = {
            ...o,
            databaseUrl: shadow.url,
            redactor,
            onEvent: (e) => (e.type === 'warning' ? o.onEvent?.(e) : undefined),
            actor: 'pgshift shadow',
            environment: 'shadow',
        };
        return await fn(shadow, at);
    }
    finally {
        await shadow.drop().catch(() => { });
    }
}
async function model(at, o) {
    if (o.signal?.aborted)
        throw new AbortedError('interrupted: the shadow database was dropped; nothing was changed on the target.');
    return withSession(at, (s) => inspect(s.sql, { trackingSchema: at.schema ?? SETTINGS.schema.default, includeOwners: o.includeOwners }));
}
/** One step of up or down on the shadow; the run's result, or the error that stopped it before running. */
async function step(at, selection) {
    try {
        return await migrate(at, { allowOutOfOrder: true, ...selection });
    }
    catch (err) {
        if (err instanceof AbortedError)
            throw err;
        if (err instanceof PgshiftError)
            return err;
        throw err;
    }
}
const failed = (r) => r instanceof PgshiftError || !!r.error;
const errorOf = (r) => (r instanceof PgshiftError ? undefined : r.error);
const reasonOf = (r) => (r instanceof PgshiftError ? r.message : (r.error?.message ?? ''));
/**
 * On the shadow: apply what the target already has, then for each pending migration in order: up →
 * model A; down → must equal the model before the up; up again → must equal A.
 */
async function verify(o) {
    const catalog = new catalog_Catalog(o.dir);
    const target = await targetState(o);
    return withShadow(o, async (shadow, at) => {
        if (target.current) {
            const base = await step(at, { direction: 'up', target: target.current });
            if (failed(base))
                throw new ConfigError(`the migrations the target already has do not replay on the shadow database (up to ${target.current}): ${reasonOf(base)}`);
        }
        const start = await model(at, o);
        const pending = catalog.files.filter((f) => !target.applied.some((v) => catalog.find(v) === f));
        const verdicts = [];
        const hear = (v) => {
            verdicts.push(v);
            o.onVerdict?.(v);
        };
        let before = start;
        // The schema after the last up that ran: what the pending migrations change, whatever their downs did.
        let lastUp = start;
        let stopped;
        for (const file of pending) {
            const base = { version: file.version, name: file.name, path: file.upPath };
            if (stopped) {
                hear({ ...base, verdict: 'skipped', reason: stopped });
                continue;
            }
            const up = await step(at, { direction: 'up', steps: 1 });
            if (failed(up)) {
                hear({ ...base, verdict: 'up-failed', error: errorOf(up), reason: reasonOf(up) });
                stopped = `after ${file.version} failed`;
                continue;
            }
            const a = await model(at, o);
            lastUp = a;
            const loaded = catalog.load(file);
            if (!loaded.down) {
                hear({ ...base, verdict: 'no-down' });
                before = a;
                continue;
            }
            const down = await step(at, { direction: 'down', steps: 1 });
            if (failed(down)) {
                // The failed down was rolled back (or left marked failed): the shadow holds A, and the rest can go on.
                hear({ ...base, verdict: 'down-failed', error: errorOf(down), reason: reasonOf(down) });
                if (errorOf(down) && errorOf(down).outcome !== 'rolled-back')
                    stopped = `after ${file.version}'s down left it failed`;
                before = a;
                continue;
            }
            const afterDown = realDifferences(compare(before, await model(at, o)));
            const again = await step(at, { direction: 'up', steps: 1 });
            if (failed(again)) {
                // After a down that did not restore the schema, the second up failing is its consequence: the mismatch is the verdict.
                hear(afterDown.length ? { ...base, verdict: 'down-mismatch', differences: afterDown } : { ...base, verdict: 'reapply-failed', error: errorOf(again), reason: reasonOf(again) });
                stopped = `after ${file.version} could not be applied again`;
                continue;
            }
            const c = await model(at, o);
            const reapplied = realDifferences(compare(a, c));
            if (afterDown.length)
                hear({ ...base, verdict: 'down-mismatch', differences: afterDown });
            else if (reapplied.length)
                hear({ ...base, verdict: 'reapply-failed', differences: reapplied, reason: 'applied again after its down, it gives another schema' });
            else
                hear({ ...base, verdict: 'verified' });
            before = c;
        }
        return { verdicts, changes: compare(start, lastUp), after: lastUp, shadowMajor: shadow.serverMajor, targetMajor: target.major };
    });
}
/** The model of the target itself (read-only). */
async function targetModel(o) {
    return withSession(o, (s) => inspect(s.sql, { trackingSchema: o.schema ?? SETTINGS.schema.default, includeOwners: o.includeOwners }));
}
/** The schema the migrations produce on a shadow: all of them, or up to `upTo` (a version). */
async function migrationsModel(o, upTo) {
    return withShadow(o, async (shadow, at) => {
        if (upTo !== null) {
            const run = await step(at, upTo === undefined ? { direction: 'up' } : { direction: 'up', target: upTo });
            if (failed(run))
                throw new ConfigError(`the migrations do not replay on the shadow database: ${reasonOf(run)}`);
        }
        return { model: await model(at, o), shadowMajor: shadow.serverMajor };
    });
}
/** `pgshift drift`: the target's live schema against the schema its applied migrations produce on a shadow. */
async function drift(o) {
    if (!o.databaseUrl)
        throw new ConfigError('drift compares a database with its migrations: pass --database-url or set DATABASE_URL.');
    const target = await targetState(o);
    const live = await targetModel(o);
    const expected = await migrationsModel(o, target.current);
    return { differences: realDifferences(compare(expected.model, live)), targetMajor: target.major ?? live.serverMajor, shadowMajor: expected.shadowMajor, at: target.current };
}

;// CONCATENATED MODULE: ./src/commands/deploy.ts
// A deploy and its dry run, with every decision made once for every shell: the protected-environment
// guard → the plan on record (protected environments) → the safety policy under the lock → migrate →
// an Outcome (status, incident, counts). Never throws a pgshift error: whatever happens is an Outcome
// handed to the sink, and returned.


















const NO_REVIEW = { findings: [], refused: [] };
function deploy_frame(req, command, sink) {
    const environment = req.environment ?? SETTINGS.environment.default;
    const prot = isProtected(environment, req.safety);
    return {
        command,
        environment,
        protected: prot,
        refusals: (findings) => refusedFindings(findings, { ...req.safety, protected: prot }),
        onEvent: (e) => {
            req.onEvent?.(e);
            sink.event?.(e);
        },
    };
}
/** One line naming where a migration failed and what state it left. */
function failureMessage(f) {
    if (f.connectionLost) {
        const state = {
            'rolled-back': 'the server rolled it back',
            committed: 'its COMMIT had reached the server: it took effect',
            unknown: 'whether it committed is not known: run "pgshift status"',
            'failed-needs-resolve': `it stays marked running: run "pgshift resolve ${f.version}" after checking the database`,
        };
        return `the connection to Postgres was lost while migration ${f.version} (${f.name}) ran (${f.path}:${f.line}:${f.column}): ${f.connectionLost}; ${state[f.outcome]}.`;
    }
    return `migration ${f.version} (${f.name}) failed at ${f.path}:${f.line}:${f.column}: ${f.message}. ${f.outcome === 'rolled-back' ? 'It was rolled back.' : `It is marked failed: run "pgshift resolve ${f.version}" after checking the database.`}`;
}
/**
 * Anything that stopped a command before a migration ran. A refusal (bad settings, the guard, the files,
 * the safety policy) is `refused`; a database that could not be reached, a lock that was not had, or a
 * bug is `failed`. Only a deploy is an incident: a dry run reports in its plan instead.
 */
function stopped(err, f, reviewed) {
    const error = err instanceof PgshiftError ? err : new UnexpectedError(err);
    const refused = error instanceof ConfigError || error instanceof ValidationError || error instanceof PolicyError;
    const review = error instanceof PolicyError && error.findings.length ? { findings: reviewed ?? error.findings, refused: error.findings } : NO_REVIEW;
    // The guard's refusal is a person's missing confirmation, not an incident; the files or the policy
    // refusing a deploy is (somebody merged what cannot ship).
    const guard = error instanceof PolicyError && error.findings.length === 0;
    const incident = f.command !== 'plan' &&
        !guard &&
        (error instanceof ValidationError ||
            error instanceof PolicyError ||
            error instanceof LockError ||
            error instanceof ConnectionError ||
            error instanceof BackupError ||
            error instanceof UnexpectedError);
    return { command: f.command, status: refused ? 'refused' : 'failed', incident, environment: f.environment, protected: f.protected, review, error, applied: [] };
}
async function deploy_finish(sink, outcome, req) {
    if (outcome.error)
        outcome.error.message = redactorFor(req).redact(outcome.error.message);
    await sink.finished(outcome);
    return outcome;
}
/** A deploy stopped by what had to come first (a repair the run asked for): its Outcome, classified as above. */
function deploy_stoppedDeploy(req, err, sink) {
    return deploy_finish(sink, stopped(err, deploy_frame(req, req.selection.direction, sink), undefined), req);
}
/** up or down, as a deploy: guard, plan on record when protected, policy under the lock, migrate. */
async function deploy_deploy(req, sink) {
    const f = deploy_frame(req, req.selection.direction, sink);
    let reviewed;
    let drifted;
    const started = performance.now();
    const done = (o) => deploy_finish(sink, { ...o, drift: drifted, durationMs: Math.round(performance.now() - started) }, req);
    try {
        checkGuard(f.environment, req.selection.direction, req.confirm, req.safety);
        if (!req.databaseUrl)
            throw new ConfigError('no database given: pass --database-url or set DATABASE_URL.');
        if (f.protected && req.drift) {
            // Before anything changes: does the live schema still match what its applied migrations make?
            drifted = (await drift({ ...req, shadowUrl: req.drift.shadowUrl, onEvent: f.onEvent })).differences;
            for (const d of drifted)
                f.onEvent({ type: 'warning', message: `drift in ${f.environment}: ${describeDifference(d, EXPECTED_ACTUAL)}` });
            if (drifted.length && req.drift.fail) {
                throw new ValidationError(`the database in ${f.environment} has drifted from its migrations (${drifted.length} difference${drifted.length === 1 ? '' : 's'}, listed above): refused because ${nameOf('failOnDrift', 'cli')} is set. Put each hand-made change into a migration (or undo it), then deploy again.`, []);
            }
        }
        if (f.protected) {
            // In a protected environment the plan is on record before anything is applied.
            let onRecord = await plan({ ...req, baseline: undefined, onEvent: f.onEvent }, req.selection);
            if (req.net && hasNet(req.net, f.protected))
                onRecord = { ...onRecord, net: safetyNet(onRecord, req.net, f.protected, atRisk(onRecord)) };
            await sink.planned?.(onRecord, { findings: onRecord.findings, refused: f.refusals(onRecord.findings) });
        }
        // The engine checks the findings again under the migration lock, before anything runs.
        const o = { ...req, onEvent: f.onEvent, lintPolicy: (findings) => f.refusals((reviewed = findings)) };
        const { result, net } = req.net && hasNet(req.net, f.protected) ? await underNet(req, req.net, f, o) : { result: await migrate(o, req.selection) };
        const applied = result.steps.filter((s) => s.status === 'applied' || s.status === 'rolled-back').map((s) => s.version);
        const pendingAfter = result.direction === 'up' ? Math.max(0, result.plan.pendingCount - applied.length) : result.plan.pendingCount + applied.length;
        const common = {
            command: f.command,
            environment: f.environment,
            protected: f.protected,
            plan: result.plan,
            result,
            review: { findings: result.plan.findings, refused: [] },
            applied,
            pendingAfter,
            currentVersion: result.currentVersion,
        };
        const netFields = { backup: net?.backup, health: net?.health.length ? net.health : undefined, rollback: net?.rollback, net: net?.shown };
        if (net?.rollback)
            return await done({ ...common, ...netFields, ...afterRollback(net.rollback, result, common.applied, net.currentVersion) });
        if (result.error)
            return await done({ ...common, ...netFields, status: 'failed', incident: true, error: new MigrationFailedError(failureMessage(result.error), result.error) });
        const unhealthy = net?.health.filter((h) => !h.passed) ?? [];
        if (unhealthy.length) {
            const error = new HealthCheckError(`${healthFailure(net.health)} after the run${applied.length ? `; ${applied.length === 1 ? 'the migration it applied stays' : `the ${applied.length} migrations it applied stay`} applied (--rollback-on-failure was not set)` : ''}.`);
            return await done({ ...common, ...netFields, status: 'failed', incident: true, error });
        }
        const schemaFile = req.schemaFile ? await writeSchemaFile(req, req.schemaFile) : undefined;
        return await done({ ...common, ...netFields, status: result.status === 'failed' ? 'failed' : result.status, incident: false, schemaFile });
    }
    catch (err) {
        return done(stopped(err, f, reviewed));
    }
}
/** The dry run: the plan, its findings and what the policy would refuse here; read-only. */
async function dryRun(req, sink) {
    const f = deploy_frame(req, 'plan', sink);
    try {
        let p = await plan({ ...req, onEvent: f.onEvent }, req.selection);
        // Proven only when the plan is not refused already and up is what would run: a down is its own proof.
        if (req.shadow && !p.blocked && p.direction === 'up')
            p = { ...p, proof: await verify({ ...req, shadowUrl: req.shadow.url, onEvent: f.onEvent }) };
        // A committed schema file is checked against what the migrations produce (on the shadow).
        if (req.shadow && req.schemaFile && (0,external_node_fs_.existsSync)(req.schemaFile)) {
            const stale = await staleSchemaFile(req, req.schemaFile);
            if (stale)
                p = { ...p, findings: [...p.findings, stale] };
        }
        // What the safety net would do: the backup's tables, the checks, which migrations a failure would undo.
        const net = req.net && hasNet(req.net, f.protected) ? safetyNet(p, req.net, f.protected, atRisk(p)) : undefined;
        if (net)
            p = { ...p, net };
        const irreversible = net && req.net ? reversibility(net, req.net) : undefined;
        const unverified = p.proof && req.shadow?.verify ? failedVerdicts(p.proof, req.shadow.allowNoDown) : [];
        if (p.proof && req.shadow?.verify)
            p.proof.verified = unverified.length === 0;
        const review = { findings: p.findings, refused: f.refusals(p.findings) };
        await sink.planned?.(p, review);
        const blocking = p.problems.filter((x) => x.blocking);
        const error = p.blocked
            ? new ValidationError(`the plan would be refused:\n${blocking.map((x) => `  - ${x.message}`).join('\n')}`, blocking)
            : review.refused.length
                ? policyRefusal(review.refused, `the run would be refused in ${f.environment}`)
                : irreversible
                    ? irreversible
                    : unverified.length
                        ? new ValidationError(`the shadow database did not verify ${unverified.length === 1 ? 'a migration' : `${unverified.length} migrations`}:\n${unverified.map((v) => `  - ${v.version} ${v.name}: ${v.verdict}`).join('\n')}`, [])
                        : undefined;
        return await deploy_finish(sink, {
            command: 'plan',
            status: error ? 'refused' : 'planned',
            incident: false,
            environment: f.environment,
            protected: f.protected,
            plan: p,
            review,
            error,
            net,
            applied: [],
            pendingAfter: p.pendingCount,
            currentVersion: p.currentVersion,
        }, req);
    }
    catch (err) {
        return deploy_finish(sink, stopped(err, f, undefined), req);
    }
}
/** The target's schema, written as `pgshift dump` writes it, after a deploy that succeeded. */
async function writeSchemaFile(req, path) {
    (0,external_node_fs_.writeFileSync)(path, render(await targetModel(req)));
    return path;
}
/** A finding when the committed schema file is not what the migrations produce; undefined when it is. */
async function staleSchemaFile(req, path) {
    const expected = render((await migrationsModel({ ...req, shadowUrl: req.shadow.url })).model);
    const committed = (0,external_node_fs_.readFileSync)(path, 'utf8').replace(/\r\n/g, '\n');
    if (committed === expected)
        return undefined;
    const a = committed.split('\n');
    const b = expected.split('\n');
    let line = 0;
    while (line < a.length && line < b.length && a[line] === b[line])
        line++;
    return {
        rule: 'stale-schema-file',
        severity: 'warning',
        message: `${path} is stale: it is not the schema the migrations produce (first difference at line ${line + 1}: ${JSON.stringify(a[line] ?? '(end of file)')} where the migrations give ${JSON.stringify(b[line] ?? '(end of file)')}). Run pgshift dump --from-migrations --out ${path} and commit it.`,
        path,
        line: line + 1,
        column: 1,
        version: '',
        destructive: false,
        docs: ruleDocs('stale-schema-file'),
    };
}
/** The tables a dry run names for an auto backup: what the pending migrations change destructively (not checked against the database). */
function atRisk(p) {
    const { tables, schemas } = dataAtRisk(p);
    return [...new Set([...tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)), ...schemas.map((n) => `${n}.*`)])].sort();
}
/** The refusal a deploy with rollback-on-failure would meet, as an error; undefined when it would run. */
function reversibility(net, settings) {
    try {
        checkReversible(net, settings);
        return undefined;
    }
    catch (err) {
        return err;
    }
}
/**
 * The run with its safety net, all under one migration lock so that nothing else deploys in between:
 * refuse what could not be undone, back up, apply, check health, roll back what this run applied.
 */
async function underNet(req, net, f, o) {
    const done = { health: [] };
    const result = await withSession(req, (s) => withLock(s, req, async (sql) => {
        const r = await migrateLocked(s, sql, {
            ...o,
            beforeRun: async (p, locked) => {
                // Decided before anything is written: a run that could not be undone or backed up is refused here.
                const shown = (done.shown = safetyNet(p, net, f.protected, []));
                checkReversible(shown, net);
                const tool = shown.backup !== 'none' ? await findPgDump({ path: net.pgDump, serverMajor: await serverMajor(locked), env: net.env }) : undefined;
                await req.beforeRun?.(p, locked);
                if (!tool || shown.backup === 'none')
                    return;
                shown.backupTables = shown.backup === 'auto' ? await backupTables(locked, p) : [];
                done.backup = await takeBackup({
                    tool,
                    databaseUrl: req.databaseUrl,
                    mode: shown.backup,
                    dataTables: shown.backupTables,
                    dir: net.backupDir,
                    sql: locked,
                    label: f.environment,
                    redactor: s.redactor,
                    signal: req.signal,
                });
                f.onEvent({ type: 'backup', report: done.backup });
            },
        }, req.selection);
        // A run with nothing pending never reached beforeRun: its health is still checked.
        done.shown ??= safetyNet(r.plan, net, f.protected, []);
        await afterRun(r, s, sql, req, net, f, done);
        return r;
    }));
    return { result, net: done };
}
/** Health checks after the run, and the automatic rollback when the run or the checks failed. */
async function afterRun(r, s, sql, req, net, f, done) {
    const checks = async (afterRollback) => {
        if (!done.shown?.health.length)
            return [];
        // A connection of its own: the session's one holds the lock (and may be the one that was lost).
        const own = await s.reopen();
        try {
            const results = await runHealthChecks(net, { sql: own.sql, redactor: s.redactor, signal: req.signal, afterRollback });
            for (const result of results)
                f.onEvent({ type: 'health', result });
            return results;
        }
        finally {
            await own.close();
        }
    };
    const ran = r.plan.steps.filter((st) => r.steps.some((x) => versionId(x.version) === versionId(st.migration.version) && x.status === 'applied'));
    const upRun = net.rollbackOnFailure && r.direction === 'up' && !req.signal?.aborted;
    let reason;
    let failed;
    if (r.error) {
        const step = r.plan.steps.find((st) => versionId(st.migration.version) === versionId(r.error.version));
        if (step)
            failed = { step, error: r.error };
        if (upRun)
            reason = `migration ${r.error.version} (${r.error.name}) failed`;
    }
    else {
        done.health = await checks(false);
        if (upRun && done.health.some((h) => !h.passed))
            reason = healthFailure(done.health);
    }
    const failedPartly = failed && !failed.step.transactional && failed.error.outcome === 'failed-needs-resolve';
    if (!reason || (!ran.length && !failedPartly))
        return;
    f.onEvent({ type: 'rollback-start', reason, versions: [...ran].reverse().map((st) => st.migration.version) });
    const undo = async (locked, session) => {
        const { rollback } = await rollBack(ran, failed, reason, {
            sql: locked,
            tracking: session.tracking,
            lockTimeout: String(req.lockTimeoutMs ?? SETTINGS.lockTimeout.default),
            statementTimeout: req.statementTimeoutMs !== undefined ? String(req.statementTimeoutMs) : undefined,
            lockRetries: req.lockRetries ?? SETTINGS.lockRetries.default,
            retryDelayMs: req.retryDelayMs,
            actor: req.actor ?? defaultActor(),
            environment: f.environment,
            redactor: session.redactor,
            onEvent: f.onEvent,
            lifeline: session.lifeline,
        });
        done.rollback = rollback;
        done.currentVersion = buildPlan(session.catalog, { ...(await session.tracking.read(locked)), databaseChecked: true }, { direction: 'up', steps: 0 }).currentVersion;
    };
    try {
        // The connection the run used may be gone (the failure was its loss): then a new one, with the lock again.
        if (s.lifeline.lost)
            await withSession(req, (again) => withLock(again, req, (locked) => undo(locked, again)));
        else
            await undo(sql, s);
    }
    catch (err) {
        const versions = [...ran].reverse().map((st) => st.migration.version);
        done.rollback = { reason, versions, rolledBack: done.rollback?.rolledBack ?? [], stillApplied: done.rollback?.stillApplied ?? versions, error: s.redactor.redact(err.message) };
    }
    done.health.push(...(await checks(true).catch(() => [])));
}
/** The outcome of a run the safety net rolled back: rolled-back when the rollback was whole, failed when it stopped. */
function afterRollback(rb, result, applied, current) {
    const list = (vs) => vs.join(', ');
    const n = rb.rolledBack.length;
    const undone = n ? `rolled back ${n === 1 ? 'the migration' : `the ${n} migrations`} this run applied (${list(rb.rolledBack)}, newest first)` : 'rolled back nothing';
    const message = rb.error
        ? `the automatic rollback did not finish: ${list(rb.stillApplied)} ${rb.stillApplied.length === 1 ? 'is' : 'are'} still applied. ${rb.reason}; then ${rb.error}. ${undone}. Check the database, then roll back the rest by hand (pgshift down) or fix forward.`
        : `${rb.reason}: ${undone}.${rb.stillApplied.length ? ` Still applied: ${list(rb.stillApplied)} (they could not be rolled back automatically).` : ''}`;
    return {
        status: rb.error ? 'failed' : 'rolled-back',
        incident: true,
        error: new RollbackError(message, rb, result.error),
        currentVersion: current,
        pendingAfter: result.plan.pendingCount - applied.length + n,
    };
}

;// CONCATENATED MODULE: ./src/commands/confirm.ts


/** The run needs a yes when it destroys: a destructive up, a down of several migrations, a down to 0. */
function confirmReason(plan, selection) {
    if (plan.steps.length === 0)
        return undefined;
    if (plan.direction === 'down') {
        if (selection.target !== undefined && /^0+$/.test(selection.target.trim()))
            return 'down-to-zero';
        return plan.steps.length > 1 ? 'several-down' : undefined;
    }
    return plan.findings.some((f) => f.destructive) ? 'destructive-up' : undefined;
}
function whyOf(reason, plan, findings) {
    const n = plan.steps.length;
    const migrations = `${n} migration${n === 1 ? '' : 's'}`;
    switch (reason) {
        case 'destructive-up':
            return `This applies ${migrations} with ${findings.length} destructive finding${findings.length === 1 ? '' : 's'}: what they delete cannot be brought back by a rollback.`;
        case 'several-down':
            return `This rolls back ${migrations}: their down sections run one after another, and what they drop is gone with its data.`;
        case 'down-to-zero':
            return `This rolls back every applied migration (${migrations}, --target 0): the down sections run one after another, and what they drop is gone with its data.`;
    }
}
/** Tables (and schemas dropped with CASCADE) that the statements of the plan drop or empty, in order. */
function destroyedObjects(plan) {
    const tables = [];
    const schemas = [];
    for (const step of plan.steps) {
        for (const st of step.statements) {
            const node = { [st.kind]: st.node };
            const drop = as(node, 'DropStmt');
            if (drop?.removeType === 'OBJECT_TABLE') {
                for (const o of drop.objects ?? []) {
                    const name = fromNames((as(o, 'List')?.items ?? []));
                    if (name)
                        tables.push({ name, action: 'drop' });
                }
            }
            if (drop?.removeType === 'OBJECT_SCHEMA' && drop.behavior === 'DROP_CASCADE')
                schemas.push(...strings(drop.objects));
            const truncate = as(node, 'TruncateStmt');
            for (const r of truncate?.relations ?? []) {
                const name = fromRangeVar(as(r, 'RangeVar'));
                if (name)
                    tables.push({ name, action: 'truncate' });
            }
        }
    }
    return { tables, schemas };
}
const confirm_quoteIdent = (s) => `"${s.replace(/"/g, '""')}"`;
/** A table's estimated rows: its own reltuples, or its leaf partitions' for a partitioned table; null when never analyzed. */
const ROWS = `case when c.relkind = 'p'
    then (select sum(greatest(l.reltuples, 0)) from pg_partition_tree(c.oid) p join pg_class l on l.oid = p.relid where p.isleaf)
    else nullif(greatest(c.reltuples, -1), -1) end::float8`;
/**
 * The tables the run would drop or empty that exist now, with the catalog's row estimates (no table is
 * scanned). A table the same run creates first does not exist yet and holds nothing.
 */
async function estimateImpact(sql, plan) {
    const { tables, schemas } = destroyedObjects(plan);
    const out = new Map();
    for (const t of tables) {
        const regclass = t.name.schema ? `${confirm_quoteIdent(t.name.schema)}.${confirm_quoteIdent(t.name.name)}` : confirm_quoteIdent(t.name.name);
        const rows = await sql.unsafe(`select c.oid::regclass::text as table, ${ROWS} as rows from pg_class c where c.oid = to_regclass($1) and c.relkind in ('r', 'p')`, [regclass]);
        // A table dropped after being emptied counts once, as dropped.
        for (const r of rows)
            out.set(r.table, { table: r.table, action: out.get(r.table)?.action === 'drop' ? 'drop' : t.action, rows: r.rows });
    }
    for (const schema of schemas) {
        const rows = await sql.unsafe(`select c.oid::regclass::text as table, ${ROWS} as rows from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition order by 1`, [schema]);
        for (const r of rows)
            out.set(r.table, { table: r.table, action: 'drop', rows: r.rows });
    }
    return [...out.values()];
}
const confirm_count = (n) => Math.round(n).toLocaleString('en-US');
/** "This drops 2 tables holding about 1,200 rows (…)", from the estimates; undefined when nothing existing is dropped or emptied. */
function describeImpact(tables) {
    if (!tables.length)
        return undefined;
    const dropped = tables.filter((t) => t.action === 'drop');
    const emptied = tables.filter((t) => t.action === 'truncate');
    const list = (ts) => ts.map((t) => t.table).join(', ');
    const plural = (n) => `${n} table${n === 1 ? '' : 's'}`;
    const what = [dropped.length ? `drops ${plural(dropped.length)} (${list(dropped)})` : '', emptied.length ? `empties ${plural(emptied.length)} (${list(emptied)})` : ''].filter(Boolean).join(' and ');
    const known = tables.filter((t) => t.rows !== null);
    const unknown = tables.filter((t) => t.rows === null);
    const rows = known.reduce((sum, t) => sum + (t.rows ?? 0), 0);
    const holding = known.length ? ` holding about ${confirm_count(rows)} row${Math.round(rows) === 1 ? '' : 's'} by the catalog's estimates` : '';
    const gap = unknown.length ? `; ${list(unknown)} ${unknown.length === 1 ? 'was' : 'were'} never analyzed, so ${unknown.length === 1 ? 'its' : 'their'} size is unknown` : '';
    return `This ${what}${holding}${gap}.`;
}
/** What to show before asking; undefined when the run needs no confirmation. */
async function confirmationFor(sql, plan, selection) {
    const reason = confirmReason(plan, selection);
    if (!reason)
        return undefined;
    const findings = plan.findings.filter((f) => f.destructive);
    const tables = await estimateImpact(sql, plan);
    return { reason, why: whyOf(reason, plan, findings), plan, findings, tables, impact: describeImpact(tables) };
}
/**
 * The hook a deploy runs under the lock before anything is written: when the run needs a yes, `ask`
 * shows the confirmation and answers. A no refuses the run with nothing done.
 */
function askBeforeRun(selection, ask, signal) {
    return async (plan, sql) => {
        const c = await confirmationFor(sql, plan, selection);
        if (!c || (await ask(c)))
            return;
        if (signal?.aborted)
            throw new AbortedError('interrupted at the question: nothing was run');
        throw new PolicyError('not confirmed: nothing was run (pass --yes to run without asking).', []);
    };
}

;// CONCATENATED MODULE: ./src/commands/new.ts
// `pgshift new <name>`: a new migration file, named by the current UTC time (dbmate's version format).





/** UTC yyyymmddhhmmss, dbmate's version format. */
function timestampVersion(now) {
    return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
/** Writes `<timestamp>_<name>.sql` with both sections; returns its path. */
function newMigration(dir, name, now = new Date()) {
    const slug = name
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '_')
        .replace(/^_+|_+$/g, '');
    if (!slug)
        throw new ConfigError(`"${name}" is not a usable migration name: use letters, digits and underscores, e.g. add_users_email.`);
    if (!(0,external_node_fs_.existsSync)(dir))
        (0,external_node_fs_.mkdirSync)(dir, { recursive: true });
    const catalog = new catalog_Catalog(dir);
    // Two files made in the same second (a script, a quick second thought) each get their own version:
    // the next free second, still in dbmate's 14-digit format and still in the order they were made.
    let at = now.getTime();
    while (catalog.find(timestampVersion(new Date(at))))
        at += 1000;
    const path = (0,external_node_path_namespaceObject.join)(dir, `${timestampVersion(new Date(at))}_${slug}.sql`);
    (0,external_node_fs_.writeFileSync)(path, formById('dbmate').template(slug), { flag: 'wx' });
    return path;
}

;// CONCATENATED MODULE: ./src/commands/resolve.ts
// `resolve <version> --applied|--rolled-back`: settles a failed or running non-transactional migration
// after a person has looked at the database. Recorded in the history either way.




async function resolve(o, version, as) {
    return withSession(o, (s) => withLock(s, o, async (sql) => {
        const { rows } = await s.tracking.read(sql);
        const row = rows.find((r) => versionId(r.version) === versionId(version));
        if (!row)
            throw new ConfigError(`migration ${version} has no row in ${s.tracking.schema}.schema_migrations: there is nothing to resolve.`);
        if (row.status === 'applied')
            throw new ConfigError(`migration ${version} is applied, not failed: there is nothing to resolve (use "pgshift down" to roll it back).`);
        await s.tracking.resolve(sql, row, as, o.actor ?? defaultActor(), o.environment ?? SETTINGS.environment.default);
        return { ...row, status: as === 'applied' ? 'applied' : row.status };
    }));
}

;// CONCATENATED MODULE: ./src/commands/baseline-version.ts
// `baseline <version>`: a database whose schema came from somewhere pgshift has no record of (built by
// hand, restored from a dump, migrated by a tool that kept no history) starts its history here: every
// migration up to and including <version> is recorded as applied without running it (history action
// `baseline`), in one transaction under the migration lock. Refused once pgshift has recorded anything.
// (Not the PR baseline of ./baseline.ts, which says what a base commit has applied.)







async function baselineAt(o, version) {
    if (!version)
        throw new ConfigError('baseline needs the version to start from: pgshift baseline <version> (every migration up to and including it is recorded as applied).');
    if (!version_isVersion(version))
        throw new ConfigError(`baseline: "${version}" is not a version: use the number at the start of a migration file name.`);
    const proven = o.shadowUrl ? await prove(o, version) : false;
    return withSession(o, (s) => withLock(s, o, async (sql) => {
        if (!s.catalog.find(version))
            throw new ConfigError(`baseline: version ${version} matches no migration in ${s.catalog.dir}: name the last migration the database already has.`);
        const blocking = s.catalog.nameProblems.filter((p) => p.blocking);
        if (blocking.length)
            throw new ConfigError(`the migrations directory must be fixed before a baseline:\n${blocking.map((p) => `  - ${p.message}`).join('\n')}`);
        const state = await s.tracking.read(sql);
        if (state.rows.length) {
            throw new ConfigError(`${s.tracking.schema}.schema_migrations already records ${state.rows.length} migration${state.rows.length === 1 ? '' : 's'}: baseline is for a database with no history at all. Nothing was written. Run pgshift status to see what is recorded; pgshift up applies what is pending.`);
        }
        // Another tool's history is better taken over than guessed at: say so, but the person decides.
        await adoptionHint(sql, s.tracking, 0, o.onEvent);
        const recorded = s.catalog.files.filter((f) => compareVersions(f.version, version) <= 0);
        const rows = recorded.map((f) => {
            const checksum = s.catalog.checksum(f);
            if (checksum === undefined)
                throw new ConfigError(`migration ${f.version} cannot be baselined: ${s.catalog.load(f).message}`);
            return {
                version: f.version,
                name: f.name,
                checksum,
                status: 'applied',
                errorMessage: null,
                note: `baseline ${version}: recorded as applied without running it`,
            };
        });
        const report = { version, dryRun: !!o.dryRun, proven, recorded: recorded.map((f) => ({ version: f.version, name: f.name, path: f.upPath })) };
        if (o.dryRun)
            return report;
        await s.tracking.recordWithoutRunning(sql, rows, 'baseline', o.actor ?? defaultActor(), o.environment ?? SETTINGS.environment.default);
        return report;
    }));
}
/** Replays the migrations up to `version` on a shadow database and refuses unless that is the live schema. */
async function prove(o, version) {
    const expected = await migrationsModel({ ...o, shadowUrl: o.shadowUrl }, version);
    const differences = realDifferences(compare(expected.model, await targetModel(o)));
    if (differences.length) {
        throw new ConfigError(`baseline ${version} refused: the live schema is not what the migrations up to ${version} produce on a shadow database (${differences.length} difference${differences.length === 1 ? '' : 's'}):\n${differences
            .map((d) => `  - ${describeDifference(d, EXPECTED_ACTUAL)}`)
            .join('\n')}\nNothing was written. Baseline at the version the database really matches, or bring the database in line first.`);
    }
    return true;
}
/** What a baseline did (or would do), one line each. */
function describeBaseline(r) {
    const n = r.recorded.length;
    return [
        `${r.dryRun ? 'dry run: would record' : 'recorded'} ${n} migration${n === 1 ? '' : 's'} up to and including ${r.version} as applied, without running ${n === 1 ? 'it' : 'them'}:`,
        ...r.recorded.map((m) => `  ${m.version}  ${m.name}`),
        r.proven
            ? `Proven: replaying the migrations up to ${r.version} on a shadow database gives the live schema.`
            : `Not proven against the live schema: pass ${SETTINGS.shadowUrl.flag} to replay the migrations on a shadow database and compare first. Check that the database really has these changes.`,
        ...(r.dryRun ? ['Nothing was written (--dry-run).'] : []),
    ];
}

;// CONCATENATED MODULE: ./src/commands/repair.ts






/** Status states that mean the applied history differs from the record: any of them turns a check red. */
const CHANGED_STATES = ['modified', 'missing', 'failed', 'running'];
/** The entries of a status whose history is changed, missing or unsettled (`status --exit-code` exits 3). */
function changedHistory(entries) {
    return entries.filter((e) => CHANGED_STATES.includes(e.state));
}
/** The list shown before `--all` repairs (and in its refusal): version, file, stored and current checksum. */
function listCandidates(candidates) {
    return candidates.map((c) => `  ${c.version}  ${c.path}\n      stored:  ${c.storedChecksum || 'none'}\n      current: ${c.currentChecksum}`).join('\n');
}
/** What a repair did, one sentence per migration. */
function describeRepair(r, reason) {
    const lines = r.repaired.map((c) => `repaired ${c.version} ${c.name}: checksum ${c.storedChecksum || 'none'} -> ${c.currentChecksum} (reason recorded: ${reason}).`);
    for (const v of r.unchanged)
        lines.push(`migration ${v} is not modified: its file matches the stored checksum. Nothing was written.`);
    for (const s of r.skipped)
        lines.push(`not repaired: ${s.why}`);
    if (!lines.length)
        lines.push('no applied migration has a changed file: there is nothing to repair.');
    return lines;
}
/** Checks the request before connecting: a reason, and versions or all. */
function checkRequest(o, versions) {
    if (!o.reason.trim()) {
        throw new ConfigError('repair needs a reason (--reason): why the changed file is right (whitespace only, a fix applied by hand, …). It is recorded in the history with the old and the new checksum.');
    }
    if (versions !== 'all') {
        if (!versions.length)
            throw new ConfigError('repair needs the versions to repair, or --all: pgshift repair <version>... --reason "<why>".');
        const bad = versions.find((v) => !version_isVersion(v));
        if (bad !== undefined)
            throw new ConfigError(`repair: "${bad}" is not a version: use the number at the start of a migration file name.`);
    }
}
/** Why an applied row's file cannot be repaired, or the change to make; undefined when it matches. */
function examine(s, row) {
    const v = row.version;
    if (row.status !== 'applied') {
        return {
            why: `migration ${v} is marked ${row.status}, so it cannot be repaired (repair accepts a changed file of an applied migration): settle it with "pgshift resolve ${v} --applied" or "--rolled-back" after checking the database.`,
        };
    }
    const file = s.catalog.find(v);
    if (!file) {
        return {
            why: `migration ${v}${row.name ? ` (${row.name})` : ''} is applied but its file is gone from ${s.catalog.dir}, so it cannot be repaired: there is no new checksum to record. Restore the file as it was applied (from version control), or pass --allow-missing to up and plan to go on without it.`,
        };
    }
    const loaded = s.catalog.load(file);
    if (loaded instanceof MigrationFileError)
        return { why: `migration ${v} cannot be repaired: ${loaded.message}` };
    // A NULL checksum comes back as null from the driver, whatever the row's type says.
    const stored = row.checksum ?? null;
    if (stored === loaded.checksum)
        return undefined;
    return { version: v, name: row.name || file.name, path: file.upPath, storedChecksum: stored, currentChecksum: loaded.checksum };
}
const isCandidate = (x) => !!x && 'currentChecksum' in x;
/**
 * Repairs `versions` (or every changed applied migration), under the migration lock. A version whose
 * file matches is reported unchanged; one that cannot be repaired (not applied, file gone, unreadable)
 * refuses the request with what to do, before anything is written.
 */
async function repair(o, versions) {
    checkRequest(o, versions);
    const reason = o.reason.trim();
    return withSession(o, (s) => withLock(s, o, async (sql) => {
        const state = await s.tracking.read(sql);
        if (state.unadopted) {
            throw new ConfigError(`${s.tracking.schema}.schema_migrations is still dbmate's table: it records no checksums, so there is nothing to repair. The first pgshift up that has something to run adopts it and records each file's checksum.`);
        }
        const report = { repaired: [], unchanged: [], skipped: [] };
        const candidates = [];
        if (versions === 'all') {
            for (const row of [...state.rows].sort((a, b) => compareVersions(a.version, b.version))) {
                const found = examine(s, row);
                if (isCandidate(found))
                    candidates.push(found);
                else if (found)
                    report.skipped.push({ version: row.version, why: found.why });
            }
            if (!candidates.length)
                return report;
            if (!o.yes) {
                const n = candidates.length;
                const list = `${n} applied migration${n === 1 ? '' : 's'} changed after ${n === 1 ? 'it' : 'they'} ran:\n${listCandidates(candidates)}`;
                if (!o.ask) {
                    throw new PolicyError(`repair --all found ${list}\nNothing was written: without a terminal to ask, pass --yes to repair ${n === 1 ? 'it' : 'them all'}, or name the versions to repair.`, []);
                }
                if (!(await o.ask(candidates)))
                    throw new PolicyError('not confirmed: nothing was written (pass --yes to repair without asking).', []);
            }
        }
        else {
            if (!state.exists)
                throw new ConfigError(`no migration is applied in this database (there is no ${s.tracking.schema}.schema_migrations): there is nothing to repair.`);
            const seen = new Set();
            for (const v of versions) {
                if (seen.has(versionId(v)))
                    continue;
                seen.add(versionId(v));
                const row = state.rows.find((r) => versionId(r.version) === versionId(v));
                if (!row) {
                    throw new ConfigError(`migration ${v} has no row in ${s.tracking.schema}.schema_migrations${s.catalog.find(v) ? ': it is pending, not applied, and a pending file may change freely' : ''}. There is nothing to repair.`);
                }
                const found = examine(s, row);
                if (isCandidate(found))
                    candidates.push(found);
                else if (found)
                    throw new ConfigError(found.why);
                else
                    report.unchanged.push(row.version);
            }
        }
        if (candidates.length)
            await s.tracking.repair(sql, candidates, reason, o.actor ?? defaultActor(), o.environment ?? SETTINGS.environment.default);
        report.repaired = candidates;
        return report;
    }));
}
/**
 * The action's repair-versions: the named repair, deliberately, then the deploy in the same run. A
 * repair that fails is the deploy's outcome and nothing is deployed; `onRepaired` hears what was done.
 */
async function repairThenDeploy(req, versions, reason, sink, onRepaired) {
    let report;
    try {
        // Naming "all" in a workflow input is itself the yes: there is no one to ask.
        report = await repair({
            ...req,
            reason,
            yes: true,
            onEvent: (e) => {
                req.onEvent?.(e);
                sink.event?.(e);
            },
        }, versions);
    }
    catch (err) {
        return stoppedDeploy(req, err, sink);
    }
    await onRepaired(report);
    return deploy(req, sink);
}

;// CONCATENATED MODULE: ./src/plan/status.ts
// Every migration's state, from the files and the tracking rows together.



function migrationStatus(catalog, rows) {
    const out = [];
    const seen = new Set();
    for (const row of rows) {
        const file = catalog.find(row.version);
        seen.add(versionId(row.version));
        let state = row.status;
        if (row.status === 'applied') {
            if (!file)
                state = 'missing';
            else if (row.checksum || file.repeatable) {
                const loaded = catalog.load(file);
                // A repeatable migration whose file changed is due to run again, not a changed history.
                if (loaded instanceof MigrationFileError || loaded.checksum !== row.checksum)
                    state = file.repeatable ? 'outdated' : 'modified';
            }
        }
        out.push({ version: row.version, name: row.name || file?.name || '', state, path: file?.upPath, appliedAt: row.appliedAt, executionTimeMs: row.executionTimeMs, errorMessage: row.errorMessage });
    }
    for (const file of [...catalog.files, ...catalog.repeatables]) {
        if (seen.has(versionId(file.version)))
            continue;
        seen.add(versionId(file.version));
        out.push({ version: file.version, name: file.name, state: 'pending', path: file.upPath, appliedAt: null, executionTimeMs: null, errorMessage: null });
    }
    // Versioned migrations by version, then the repeatables in the order they run (by name).
    const order = new Map(catalog.repeatables.map((f, i) => [f.version, i]));
    const rank = (e) => (isRepeatableVersion(e.version) ? 1 : 0);
    return out.sort((a, b) => rank(a) - rank(b) ||
        (rank(a) ? (order.get(a.version) ?? Infinity) - (order.get(b.version) ?? Infinity) || a.version.localeCompare(b.version) : compareKeys(version_versionKey(a.version), version_versionKey(b.version))));
}

;// CONCATENATED MODULE: ./src/commands/status.ts




async function status_status(o) {
    return withSession(o, async (s) => {
        const state = await s.sql.begin('read only', (tx) => s.tracking.read(tx));
        // Status never parses SQL: its problems come from names, rows and checksums alone.
        // Invalid indexes a failed or running migration left are named on its problem (only then is SQL parsed).
        const p = await checkInvalidIndexes(s.sql, s.catalog, buildPlan(s.catalog, { ...state, databaseChecked: true }, { direction: 'up', steps: 0 }));
        return { entries: migrationStatus(s.catalog, state.rows), problems: p.problems, trackingExists: state.exists };
    });
}

;// CONCATENATED MODULE: ./src/commands/history.ts




/**
 * versionId() in SQL, for a numeric version: parts split on . or _, leading zeros dropped, trailing zero
 * parts dropped. So the filter and the limit both run in the database, on every row shape other tools
 * left (a non-numeric version is compared as it is, as versionId does).
 */
const VERSION_ID_SQL = (column) => `case when ${column} ~ '^[0-9]+([._][0-9]+)*$' then regexp_replace(regexp_replace(translate(${column}, '_', '.'), '(^|\\.)0+([0-9])', '\\1\\2', 'g'), '(\\.0)+$', '') else ${column} end`;
/** A Postgres error's SQLSTATE, if it is one. */
function history_sqlState(err) {
    const code = err?.code;
    return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
/** The history rows, newest first, with what the report needs to say about them. */
async function historyReport(o) {
    return withSession(o, async (s) => {
        const schema = /^[a-z_][a-z0-9_]*$/.test(s.tracking.schema) ? s.tracking.schema : quoteIdent(s.tracking.schema);
        const shown = `${schema}.migration_history`;
        try {
            return await s.sql.begin('read only', async (t) => {
                const tx = t;
                const [{ found }] = await tx.unsafe(`select to_regclass($1) is not null as found`, [s.tracking.history]);
                if (!found)
                    return { table: shown, exists: false, entries: [], more: false };
                const limit = o.limit ?? null;
                // One row more than asked: whether to say that older rows were left out.
                const rows = await tx.unsafe(`select id::text as id, executed_at, version::text as version, name, action, status, environment, executed_by, execution_time_ms, error_message, checksum
             from ${s.tracking.history}
            where ($1::text is null or lower(environment) = lower($1::text))
              and ($2::text is null or ${VERSION_ID_SQL('version::text')} = $2::text)
            order by executed_at desc, id desc
            limit $3::bigint`, [o.environment ?? null, o.version === undefined ? null : versionId(o.version.trim()), limit === null ? null : limit + 1]);
                const entries = rows.slice(0, limit ?? rows.length).map((r) => ({
                    id: Number(r.id),
                    executedAt: r.executed_at,
                    version: r.version,
                    name: r.name,
                    action: r.action,
                    status: r.status,
                    environment: r.environment,
                    executedBy: r.executed_by,
                    executionTimeMs: r.execution_time_ms,
                    note: r.error_message === null ? null : s.redactor.redact(r.error_message),
                    checksum: r.checksum,
                }));
                return { table: shown, exists: true, entries, more: limit !== null && rows.length > limit };
            });
        }
        catch (err) {
            const state = history_sqlState(err);
            if (state === '42501') {
                throw new ConfigError(`the role may not read ${shown}: ${err.message}. As the owner of the tracking tables or a superuser, grant it: GRANT USAGE ON SCHEMA ${schema} and GRANT SELECT ON ${shown}.`);
            }
            if (state === '42703')
                throw new ConfigError(`${shown} does not have the shape pgshift made it with: ${err.message}. Put back what was dropped or renamed by hand.`);
            throw err;
        }
    });
}
/** The history rows, newest first (see historyReport for whether the table exists at all). */
async function history_history(o) {
    return (await historyReport(o)).entries;
}

;// CONCATENATED MODULE: ./src/db/credentials.ts
// Where a connection's password comes from, resolved once before connecting, so that every source is
// also a secret the Redactor knows: the URL's user:password@, a `?password=` parameter (libpq's
// spelling, which postgres.js would otherwise send to the server as a setting), PGPASSWORD, and a
// .pgpass file (as libpq reads it). The shells read the environment and pass what they found.

/** One `host:port:database:user:password` line; `*` matches anything, `\:` and `\\` are escapes. */
function fields(line) {
    const out = [];
    let cur = '';
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === '\\' && i + 1 < line.length)
            cur += line[++i];
        else if (c === ':' && out.length < 4) {
            out.push(cur);
            cur = '';
        }
        else
            cur += c;
    }
    out.push(cur);
    return out;
}
/** The password .pgpass holds for this host, port, database and user, as libpq matches it. */
function pgpassLookup(text, target) {
    const want = [target.host, target.port, target.database, target.user];
    for (const raw of text.split(/\r?\n/)) {
        if (!raw.trim() || raw.startsWith('#'))
            continue;
        const f = fields(raw);
        if (f.length < 5)
            continue;
        if (want.every((w, i) => f[i] === '*' || f[i] === w || (i === 0 && f[i] === 'localhost' && (w === '127.0.0.1' || w === '::1'))))
            return f[4];
    }
    return undefined;
}
function resolveCredentials(databaseUrl, sources = {}) {
    const secrets = [sources.pgpassword].filter((s) => !!s);
    let u;
    try {
        u = new URL(databaseUrl);
    }
    catch {
        return { url: databaseUrl, secrets, source: 'none' };
    }
    const param = u.searchParams.get('password');
    if (param)
        secrets.push(param);
    if (u.password) {
        secrets.push(decodeURIComponent(u.password));
        if (!param)
            return { url: databaseUrl, secrets, source: 'url' };
        u.searchParams.delete('password');
        return { url: u.toString(), secrets, source: 'url' };
    }
    const use = (password, source, warning) => {
        u.searchParams.delete('password');
        u.password = encodeURIComponent(password);
        return { url: u.toString(), secrets: [...new Set([...secrets, password])], source, warning };
    };
    if (param)
        return use(param, 'parameter');
    if (sources.pgpassword)
        return use(sources.pgpassword, 'PGPASSWORD');
    if (sources.pgpassFile) {
        let text;
        let warning;
        try {
            // libpq ignores a .pgpass that others can read; so does pgshift, and says so.
            if (((0,external_node_fs_.statSync)(sources.pgpassFile).mode & 0o077) !== 0)
                warning = `${sources.pgpassFile} can be read by other users, so it is ignored (as libpq does): chmod 0600 it.`;
            else
                text = (0,external_node_fs_.readFileSync)(sources.pgpassFile, 'utf8');
        }
        catch {
            /* no .pgpass: nothing to use */
        }
        const user = decodeURIComponent(u.username) || '';
        const target = { host: decodeURIComponent(u.hostname) || 'localhost', port: u.port || '5432', database: decodeURIComponent(u.pathname.replace(/^\//, '')) || user, user };
        const found = text !== undefined ? pgpassLookup(text, target) : undefined;
        if (found)
            return use(found, 'pgpass');
        if (warning)
            return { url: databaseUrl, secrets, source: 'none', warning };
    }
    return { url: databaseUrl, secrets, source: 'none' };
}

;// CONCATENATED MODULE: ./src/commands/index.ts
// The one face the shells (CLI, action, HTTP) import: every command, and the types they need.





















;// CONCATENATED MODULE: ./src/report/net.ts

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const net_list = (vs) => vs.map((v) => `\`${v}\``).join(', ');
/** What the backup holds, in a few words. */
function backupWhat(mode, tables) {
    if (mode === 'full')
        return 'the whole database';
    return tables.length ? `the schema and the rows of ${tables.join(', ')}` : 'the schema only (nothing pending drops, empties or rewrites data)';
}
/** The net a deploy will use, as markdown bullet lines (the PR comment, the plan on record). */
function netPlanLines(n, pending) {
    const out = ['', '### Safety net', ''];
    out.push(n.backup === 'none'
        ? '- **Backup:** none.'
        : `- **Backup** before anything is applied (\`pg_dump\`, ${n.backup}): ${backupWhat(n.backup, n.backupTables)}${n.backup === 'auto' && n.backupTables.length ? ' (as the migrations name them)' : ''}.`);
    if (n.health.length)
        out.push(`- **Health check** after the run: ${n.health.map((h) => `${h.kind === 'sql' ? 'query' : 'URL'} \`${h.target.replace(/`/g, "'")}\``).join(' and ')}.`);
    if (!n.rollbackOnFailure)
        out.push('- **Automatic rollback:** off: a failure leaves what the run applied before it in place.');
    else if (!pending)
        out.push('- **Automatic rollback:** on (nothing pending to roll back).');
    else {
        const when = n.health.length ? 'If a migration or the health check fails' : 'If a migration fails';
        if (n.reversible.length)
            out.push(`- ${when}, ${n.reversible.length === pending ? `these ${plural(pending, 'migration')}` : plural(n.reversible.length, 'migration')} will be rolled back, newest first: ${net_list(n.reversible)}.`);
        for (const i of n.irreversible)
            out.push(`- ⚠️ \`${i.version}\` ${i.name} **cannot be rolled back automatically**: ${i.why}.`);
    }
    return out;
}
/** "✅ query `select …`: true (1 try, 12 ms)". */
function healthWords(h) {
    return `${h.passed ? '✅' : '❌'} ${h.kind === 'sql' ? 'query' : 'URL'} \`${h.target.replace(/`/g, "'")}\`${h.afterRollback ? ' (after the rollback)' : ''}: ${h.returned} (${plural(h.tries, 'try', 'tries')}, ${formatMs(h.durationMs)})`;
}
/** What the rollback did, first what is still applied when it stopped. */
function rollbackWords(rb) {
    const out = [];
    if (rb.error)
        out.push(`❌ **The automatic rollback did not finish**: ${rb.stillApplied.length ? `${net_list(rb.stillApplied)} ${rb.stillApplied.length === 1 ? 'is' : 'are'} still applied` : 'nothing this run applied is left'}. ${rb.error}`);
    out.push(`↩️ **Rolled back automatically** because ${rb.reason}: ${rb.rolledBack.length ? net_list(rb.rolledBack) : 'nothing'}${rb.rolledBack.length ? ' (newest first)' : ''}.`);
    if (!rb.error && rb.stillApplied.length)
        out.push(`⚠️ Still applied (could not be rolled back automatically): ${net_list(rb.stillApplied)}.`);
    return out;
}
/** The backup, its size and how to restore it. */
function backupWords(b) {
    return [`💾 Backup \`${b.file}\` (${formatBytes(b.bytes)}, ${backupWhat(b.mode, b.dataTables)}; ${formatMs(b.durationMs)}). To restore it:`, '', '```sh', b.restoreCommand, '```'];
}
/** The net's results as markdown lines (the step summary, the failure issue); empty when it did nothing. */
function netRunLines(o) {
    const out = [];
    if (o.rollback)
        out.push(...rollbackWords(o.rollback).flatMap((l) => [l, '']));
    if (o.health?.length)
        out.push('**Health checks**', '', ...o.health.map((h) => `- ${healthWords(h)}`), '');
    if (o.backup)
        out.push(...backupWords(o.backup), '');
    return out.length ? ['', ...out] : [];
}
/** "1.2 MB, the schema and the rows of public.users (14 entries)". */
function backupLine(b) {
    return `${text_formatBytes(b.bytes)}, ${backupWhat(b.mode, b.dataTables)}`;
}
/** "✓ health sql: true (1 try, 12 ms)". */
function healthLine(h) {
    return `${h.passed ? '✓' : '✗'} health${h.afterRollback ? ' after rollback' : ''}  ${h.kind} ${h.target.length > 60 ? `${h.target.slice(0, 57)}…` : h.target}: ${h.returned} (${h.tries} ${h.tries === 1 ? 'try' : 'tries'}, ${text_formatMs(h.durationMs)})`;
}

;// CONCATENATED MODULE: ./src/report/text.ts
// Plain-text renderings of engine results, for the terminal and the action's log.


function displayPath(path) {
    const rel = (0,external_node_path_namespaceObject.relative)(process.cwd(), path);
    return rel && !rel.startsWith('..') ? rel : path;
}
/** Absolute paths in a message shown relative to the working directory. */
function displayMessage(message) {
    const cwd = process.cwd() + '/';
    return message.split(cwd).join('');
}
/** 1536 → "1.5 kB"; bytes in powers of 1000, as people read file sizes. */
function text_formatBytes(n) {
    if (n < 1000)
        return `${n} B`;
    const units = ['kB', 'MB', 'GB', 'TB'];
    let v = n;
    let u = -1;
    do {
        v /= 1000;
        u++;
    } while (v >= 1000 && u < units.length - 1);
    return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
function text_formatMs(ms) {
    if (ms === null || ms === undefined)
        return '';
    if (ms < 1000)
        return `${Math.round(ms)} ms`;
    if (ms < 60_000)
        return `${(ms / 1000).toFixed(1)} s`;
    return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
function stepLabel(step) {
    return `${step.migration.version} ${step.migration.name}`;
}
function renderProblems(problems) {
    return problems.map((p) => `  ${p.blocking ? '✗' : '!'} ${displayMessage(p.message)}`).join('\n');
}
function indent(text, pad) {
    return text
        .split('\n')
        .map((l) => (l ? pad + l : l))
        .join('\n');
}
function renderPlan(plan) {
    const out = [];
    const verb = plan.direction === 'up' ? 'apply' : 'roll back';
    const rollbackFindings = plan.rollbackFindings ?? [];
    const onSection = (step, path) => rollbackFindings.filter((f) => f.version === step.migration.version && f.path === path);
    if (plan.baseline) {
        const { applied: n, label } = plan.baseline;
        const unchanged = n === 1 ? `the 1 migration unchanged since ${label} counts` : `the ${n} migrations unchanged since ${label} count`;
        out.push(`No database asked: ${unchanged} as applied; the ones added or changed since then are pending.`);
    }
    else if (!plan.databaseChecked) {
        out.push("No database given: every migration in the directory is treated as pending. They are linted as one batch, so a table an earlier one creates counts as new: findings on objects created earlier in the directory are not reported. To see them, compare with a base commit (pgshift plan --since <git-ref>; the action uses the pull request's base) or give a database.");
    }
    else if (!plan.trackingExists)
        out.push('The tracking table does not exist yet: the first run that writes will create it.');
    out.push(plan.steps.length === 0
        ? plan.blocked // e.g. a pending file that cannot be read: not "up to date"
            ? `No migration can be ${plan.direction === 'up' ? 'applied' : 'rolled back'} until the problems below are fixed.`
            : plan.direction === 'up'
                ? `Up to date${plan.currentVersion ? ` at ${plan.currentVersion}` : ''}: nothing to apply.`
                : 'Nothing to roll back.'
        : `${plan.steps.length} migration${plan.steps.length > 1 ? 's' : ''} to ${verb}${plan.currentVersion && !plan.baseline ? ` (current version ${plan.currentVersion})` : ''}:`);
    plan.steps.forEach((step, i) => {
        out.push('');
        out.push(`${i + 1}. ${plan.direction === 'up' ? '↑' : '↓'} ${stepLabel(step)}  [${step.transactional ? 'transactional' : 'non-transactional'}, ${step.statements.length} statement${step.statements.length === 1 ? '' : 's'}]  ${displayPath(step.section.path)}:${step.section.startLine}`);
        for (const note of step.notes)
            out.push(`   note: ${note}`);
        out.push(indent(step.section.sql.trim(), '     '));
        if (plan.direction === 'up')
            out.push(rollbackText(step.rollback));
        // What rolling this migration back would destroy, under its rollback SQL.
        const underRollback = plan.direction === 'up' && step.rollback ? onSection(step, step.rollback.path) : [];
        if (underRollback.length)
            out.push('   rollback findings:', ...renderFindings(underRollback).map((l) => `   ${l}`));
    });
    // The safety net, as the PR comment says it (markdown marks dropped).
    if (plan.net)
        out.push(...netPlanLines(plan.net, plan.steps.length).map((l) => l.replace(/\*\*|`/g, '').replace(/^### /, '')));
    const s = (n) => (n === 1 ? '' : 's');
    if (plan.direction === 'up' && plan.steps.length) {
        out.push('');
        out.push(plan.findings.length ? `Safety (${plan.findings.length} finding${s(plan.findings.length)}):` : 'Safety: no findings.');
        out.push(...renderFindings(plan.findings));
        if (rollbackFindings.length)
            out.push('', `Rolling back: ${rollbackFindings.length} finding${s(rollbackFindings.length)} on the down sections, shown under each rollback above (not part of this run).`);
    }
    if (plan.direction === 'down' && plan.steps.length && plan.rollbackFindings) {
        out.push('');
        out.push(rollbackFindings.length ? `Safety of this rollback (${rollbackFindings.length} finding${s(rollbackFindings.length)}):` : 'Safety of this rollback: no findings.');
        out.push(...renderFindings(rollbackFindings));
    }
    if (plan.problems.length) {
        out.push('');
        out.push(plan.blocked ? 'Problems (the run would be refused):' : 'Warnings:');
        out.push(renderProblems(plan.problems));
    }
    return out.join('\n');
}
/** What rolling a step back runs: its down SQL, nothing (an empty down), or nothing possible (no down). */
function rollbackText(rollback) {
    if (!rollback)
        return '   rollback: none (this migration has no down, so it cannot be rolled back)';
    if (rollback.empty)
        return '   rollback: empty down section (rolling back runs no SQL and removes the migration from the applied set)';
    return `   rollback:\n${indent(rollback.sql.trim(), '     ')}`;
}
function renderFindings(findings) {
    return findings.map((f) => `  ${f.severity === 'error' ? '✗' : '!'} ${displayPath(f.path)}:${f.line}  ${f.severity}  ${f.rule}${f.destructive ? ' (destructive)' : ''}: ${displayMessage(f.message)} (${f.docs})`);
}
function renderStatus(entries) {
    if (entries.length === 0)
        return 'No migrations found.';
    const rows = entries.map((e) => [e.version, e.name, e.state, e.appliedAt ? e.appliedAt.toISOString().replace('T', ' ').slice(0, 19) : '', text_formatMs(e.executionTimeMs)]);
    const header = ['VERSION', 'NAME', 'STATUS', 'APPLIED AT (UTC)', 'DURATION'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r) => r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd();
    const counts = new Map();
    for (const e of entries)
        counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
    const summary = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
    return [line(header), ...rows.map(line), '', summary].join('\n');
}
function tally(result) {
    const label = (s) => `${s.version} ${s.name}`;
    const ran = new Set(result.steps.map((s) => s.version));
    return {
        done: result.steps.filter((s) => s.status === 'applied' || s.status === 'rolled-back').map(label),
        failed: result.steps.filter((s) => s.status === 'failed').map(label),
        undone: result.steps.filter((s) => s.status === 'skipped').map(label),
        notRun: result.plan.steps.filter((st) => !ran.has(st.migration.version)).map((st) => label(st.migration)),
    };
}
/** One line: "1 applied (1 users); failed: 2 orders; not run: 3 items, 4 tags." */
function renderTally(result) {
    const t = tally(result);
    const list = (xs) => xs.join(', ');
    const parts = [`${t.done.length} ${result.direction === 'up' ? 'applied' : 'rolled back'}${t.done.length ? ` (${list(t.done)})` : ''}`];
    if (t.failed.length)
        parts.push(`failed: ${list(t.failed)}`);
    if (t.undone.length)
        parts.push(`undone with it (one transaction): ${list(t.undone)}`);
    parts.push(t.notRun.length ? `not run: ${list(t.notRun)}` : 'nothing left unrun');
    return `${parts.join('; ')}.`;
}
/** What a failure left behind, in the words of the direction that failed. */
/** After a lost connection: what pgshift found when it looked at the database again, and what to do. */
function lostState(f) {
    const found = f.afterLoss ? `Checked again: ${f.afterLoss} ` : '';
    if (f.outcome === 'committed')
        return `${found}Run ${f.direction} again for the migrations that did not run.`;
    if (f.outcome === 'rolled-back')
        return `${found}Nothing of this ${f.direction === 'up' ? 'migration' : 'rollback'} took effect; run ${f.direction} again once the server is reachable.`;
    if (f.outcome === 'failed-needs-resolve') {
        return `${found}It runs without a transaction, so statements before the one that was running stayed applied, and it stays marked running until resolved: check the database, then run "pgshift resolve ${f.version} --applied" or "--rolled-back".`;
    }
    return `${found}Whether it committed is not known: the server rolls back a transaction whose connection ends before its COMMIT arrives. Run "pgshift status" once the server is reachable: ${f.version} shows as applied if it committed.`;
}
function failureState(f) {
    if (f.connectionLost)
        return lostState(f);
    if (f.outcome === 'failed-needs-resolve') {
        return `Statements before this one stayed applied (no transaction). The migration is marked failed; check the database, then run "pgshift resolve ${f.version} --applied" or "--rolled-back".`;
    }
    return f.direction === 'up'
        ? 'The migration was rolled back: nothing of it remains. Fix the file (or add a new migration) and run again.'
        : `The failed rollback was undone: migration ${f.version} is still applied, exactly as before this run. Fix its down section (or fix forward with a new migration) and run down again.`;
}
function renderFailure(f) {
    const out = [
        `✗ ${f.version} ${f.name} ${f.connectionLost ? 'lost its connection' : 'failed'} at ${displayPath(f.path)}:${f.line}:${f.column} (statement ${f.statementNumber}, ${f.direction})`,
        `  ERROR${f.code ? ` ${f.code}` : ''}: ${f.message}`,
    ];
    if (f.excerpt)
        out.push(indent(f.excerpt, '  '));
    if (f.detail)
        out.push(`  DETAIL: ${f.detail}`);
    if (f.hint)
        out.push(`  HINT: ${f.hint}`);
    if (f.invalidIndex)
        out.push(`  The failed CREATE INDEX CONCURRENTLY left invalid index ${f.invalidIndex}: drop it before retrying.`);
    out.push(`  ${failureState(f)}`);
    return out.join('\n');
}

;// CONCATENATED MODULE: ./src/report/proof.ts
// Words for what a shadow database proved: one line per verdict (the CLI prints them as verify goes),
// and the note on a shadow server of another major version than the target's.


/** Between the schema before the up and after the down: what the down removed too much, or left behind. */
const DOWN_WORDS = { onlyInA: 'removed by the down but not added by the up', onlyInB: 'left behind by the down' };
/** Between the first up and the up after the down. */
const REAPPLY_WORDS = { onlyInA: 'missing after the second up', onlyInB: 'only after the second up' };
const ICON = {
    verified: '✓',
    'up-failed': '✗',
    'down-failed': '✗',
    'down-mismatch': '✗',
    'reapply-failed': '✗',
    'no-down': '–',
    skipped: '·',
};
/** What the verdict means, in a few words, with where it failed. */
function verdictReason(v) {
    const at = v.error ? ` at ${displayPath(v.error.path)}:${v.error.line}:${v.error.column}: ${v.error.message}` : v.reason ? `: ${v.reason}` : '';
    switch (v.verdict) {
        case 'verified':
            return 'up, down and up again give the same schema';
        case 'up-failed':
            return `its up failed${at}`;
        case 'down-failed':
            return `its down failed${at}`;
        case 'down-mismatch':
            return `its down does not restore the schema${v.differences ? ` (${v.differences.length} difference${v.differences.length === 1 ? '' : 's'})` : ''}`;
        case 'reapply-failed':
            return `it does not run again after its down${at}`;
        case 'no-down':
            return 'it has no down: irreversible by design';
        case 'skipped':
            return `not run${v.reason ? ` (${v.reason})` : ''}`;
    }
}
/** The differences behind a verdict, one per line. */
function verdictDifferences(v) {
    const words = v.verdict === 'down-mismatch' ? DOWN_WORDS : REAPPLY_WORDS;
    return (v.differences ?? []).map((d) => describeDifference(d, words));
}
function verdictLine(v) {
    return [`${ICON[v.verdict]} ${v.version} ${v.name}: ${v.verdict} — ${verdictReason(v)}`, ...verdictDifferences(v).map((d) => `    - ${d}`)].join('\n');
}
function majorNote(shadowMajor, targetMajor) {
    return `the shadow server runs Postgres ${shadowMajor} and the target Postgres ${targetMajor}: what the migrations do may differ between the two, so the verdicts may too.`;
}

;// CONCATENATED MODULE: ./src/report/json.ts
// JSON for --json and the action's plan file: parse trees and bigint version keys stay out.
/** The engine's working state: parse trees, the full split, bigint keys, a dbmate file's preamble. */
const INTERNAL = new Set(['node', 'versionKey', 'parsed', 'syntaxError', 'preamble']);
function toJson(value) {
    return JSON.stringify(value, (key, v) => {
        if (INTERNAL.has(key))
            return undefined;
        if (typeof v === 'bigint')
            return v.toString();
        return v;
    }, 2);
}

;// CONCATENATED MODULE: ./src/report/credentials.ts
// The shells' side of credentials: read the sources from the environment, teach the Redactor every
// password found (before anything can print one), and connect with the resolved URL.


/** The URL to connect with; every password source is a secret of `redactor` from now on. */
function connectionUrl(databaseUrl, env, redactor, warn) {
    redactor.add(env.PGPASSWORD).addUrl(databaseUrl);
    if (!databaseUrl)
        return databaseUrl;
    const found = resolveCredentials(databaseUrl, { pgpassword: env.PGPASSWORD, pgpassFile: env.PGPASSFILE || (env.HOME ? (0,external_node_path_namespaceObject.join)(env.HOME, '.pgpass') : undefined) });
    for (const s of found.secrets)
        redactor.add(s);
    if (found.warning)
        warn(found.warning);
    return found.url;
}

;// CONCATENATED MODULE: ./src/report/history.ts

/** A note (an error, a repair's reason) fits on its line: its first line, cut. */
const NOTE_CHARS = 80;
function noteOf(note) {
    if (!note)
        return '';
    const first = note.split('\n').find((l) => l.trim()) ?? '';
    const line = first.trim() + (note.trim().includes('\n') ? ' …' : '');
    return line.length <= NOTE_CHARS ? line : `${line.slice(0, NOTE_CHARS - 1)}…`;
}
function renderHistory(entries) {
    const header = ['WHEN (UTC)', 'VERSION', 'NAME', 'ACTION', 'STATUS', 'ENVIRONMENT', 'BY', 'DURATION', 'NOTE'];
    const rows = entries.map((e) => [
        e.executedAt.toISOString().replace('T', ' ').slice(0, 19),
        e.version,
        e.name ?? '',
        e.action,
        e.status,
        e.environment ?? '',
        e.executedBy ?? '',
        text_formatMs(e.executionTimeMs),
        noteOf(e.note),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r) => r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd();
    return [line(header), ...rows.map(line)].join('\n');
}

;// CONCATENATED MODULE: ./src/report/redacting.ts
/** Parse trees and version keys hold no text a report shows; copying them would only cost time. */
const OPAQUE = new Set(['node', 'versionKey', 'parsed']);
/** A copy of `value` with every string redacted; class instances (errors) keep their prototype. */
function redactDeep(value, redact, seen = new Map()) {
    if (typeof value === 'string')
        return redact(value);
    if (value === null || typeof value !== 'object' || value instanceof Date)
        return value;
    if (seen.has(value))
        return seen.get(value);
    if (Array.isArray(value)) {
        const out = [];
        seen.set(value, out);
        for (const item of value)
            out.push(redactDeep(item, redact, seen));
        return out;
    }
    const out = Object.create(Object.getPrototypeOf(value));
    seen.set(value, out);
    for (const [k, v] of Object.entries(value))
        out[k] = OPAQUE.has(k) ? v : redactDeep(v, redact, seen);
    if (value instanceof Error) {
        // An error's message and stack are own properties that Object.entries does not list.
        out.message = redact(value.message);
        if (value.stack)
            out.stack = redact(value.stack);
    }
    return out;
}
function redactedFor(redactor, sink) {
    const redact = (text) => redactor.redact(text);
    return {
        event: sink.event && ((e) => sink.event(e)),
        planned: sink.planned &&
            ((plan, review) => {
                // One copy of both, so a finding in the plan and the same finding in the review stay one object.
                const [p, r] = redactDeep([plan, review], redact);
                return sink.planned(p, r);
            }),
        finished: (o) => sink.finished(redactDeep(o, redact)),
    };
}

;// CONCATENATED MODULE: ./src/report/notify.ts
// Notifications: a Sink that tells a chat webhook (Slack, Microsoft Teams, Discord) or any JSON endpoint
// what a deploy came to. Delivery is best effort: bounded in time, retried only on what a retry can fix,
// and a failure to deliver is a warning, never the deploy's failure. The webhook URL is a secret (Slack's
// and Discord's paths are the credential): only its scheme and host are ever shown.
// The json body is documented in docs/notifications.md: keep the two in step.



/** What a notification is about: the deploy's status (a dry run sends nothing). */
function notifyOutcomeOf(outcome) {
    if (outcome.command === 'plan' || outcome.status === 'planned')
        return undefined;
    // A successful down is rolled-back too (without `rollback`): a deliberate rollback is worth telling.
    return outcome.status;
}
// Limits of the receiving services, kept with room to spare so a body is never refused for its size.
const SLACK_SECTION = 3000;
const SLACK_FIELD = 2000;
const SLACK_FIELDS = 10;
const DISCORD_CONTENT = 2000;
const DISCORD_FIELD = 1024;
const DISCORD_FIELDS = 25;
const DISCORD_DESCRIPTION = 2000;
const DISCORD_EMBED_TOTAL = 6000;
/** An error's text in a notification: enough to see what failed; the CI log has the rest. */
const ERROR_CHARS = 1500;
/** Versions listed in a field; the json body lists them all. */
const LISTED_VERSIONS = 20;
const HEADLINE_ERROR = 300;
/** The text cut to `max` characters, with an ellipsis when cut. */
function cut(text, max) {
    return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
function notify_firstLine(text) {
    return text.split('\n').find((l) => l.trim()) ?? '';
}
const notify_plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const triesText = (n) => (n === 1 ? '1 try' : `${n} tries`);
/** "1, 2, 3" or "1, 2, 3, … (12 in all)". */
function listVersions(versions, max = LISTED_VERSIONS) {
    if (versions.length <= max)
        return versions.join(', ');
    return `${versions.slice(0, max).join(', ')}, … (${versions.length} in all)`;
}
function notify_healthLine(h) {
    const when = h.afterRollback ? ' (after the rollback)' : '';
    return `${h.passed ? '✓' : '✗'} health check ${h.kind} ${cut(h.target, 200)}${when}: ${cut(h.returned, 200)} (${triesText(h.tries)}, ${text_formatMs(h.durationMs)})`;
}
function summarize(o, kind, ctx) {
    const where = o.target ? `${o.environment}/${o.target}` : o.environment;
    const took = o.durationMs !== undefined ? ` in ${text_formatMs(o.durationMs)}` : '';
    const rb = o.rollback;
    const versions = rb ? rb.versions : o.applied;
    const rolledBack = rb ? rb.rolledBack : o.command === 'down' ? o.applied : [];
    const stillApplied = rb ? rb.stillApplied : [];
    const error = o.error ? cut(o.error.message.trim(), ERROR_CHARS) : undefined;
    const why = error ? cut(notify_firstLine(error), HEADLINE_ERROR) : 'no reason given';
    const short = (vs) => (vs.length ? ` (${listVersions(vs, 3)})` : '');
    let text;
    if (kind === 'applied')
        text = `✅ pgshift applied ${notify_plural(o.applied.length, 'migration')} to ${where}${short(o.applied)}${took}`;
    else if (kind === 'up-to-date')
        text = o.command === 'down' ? `✅ pgshift: nothing to roll back in ${where}` : `✅ pgshift: ${where} is up to date${o.currentVersion ? ` at ${o.currentVersion}` : ''}`;
    else if (kind === 'rolled-back' && rb)
        text = `↩️ pgshift rolled back ${notify_plural(rb.rolledBack.length, 'migration')} in ${where} after ${rb.reason}${short(rb.rolledBack)}${rb.stillApplied.length ? `; still applied: ${listVersions(rb.stillApplied, 3)}` : ''}`;
    else if (kind === 'rolled-back')
        text = `↩️ pgshift rolled back ${notify_plural(o.applied.length, 'migration')} in ${where}${short(o.applied)}${took}`;
    else if (kind === 'refused')
        text = `⛔ pgshift refused to run in ${where}: ${why}`;
    else
        text = `❌ pgshift failed in ${where}: ${why}`;
    const details = [];
    if (rb) {
        details.push(`Automatic rollback after ${rb.reason}: rolled back ${rb.rolledBack.length ? listVersions(rb.rolledBack) : 'nothing'}.`);
        if (rb.stillApplied.length)
            details.push(`Still applied: ${listVersions(rb.stillApplied)}.`);
        if (rb.error)
            details.push(`The rollback stopped: ${cut(notify_firstLine(rb.error), HEADLINE_ERROR)}`);
    }
    for (const h of o.health ?? [])
        details.push(notify_healthLine(h));
    const facts = [
        { name: 'Environment', value: o.environment + (o.protected ? ' (protected)' : '') },
        { name: 'Outcome', value: kind },
    ];
    const database = o.target ?? ctx.database;
    if (database)
        facts.push({ name: 'Database', value: database });
    const label = o.command === 'down' && !rb ? 'Rolled back' : 'Migrations';
    if (versions.length)
        facts.push({ name: label, value: listVersions(versions) });
    if (o.durationMs !== undefined)
        facts.push({ name: 'Duration', value: text_formatMs(o.durationMs) });
    if (o.backup)
        facts.push({ name: 'Backup', value: `${(0,external_node_path_namespaceObject.basename)(o.backup.file)} (${o.backup.mode}, ${notify_formatBytes(o.backup.bytes)})` });
    if (ctx.actor)
        facts.push({ name: 'Actor', value: ctx.actor });
    if (ctx.commit)
        facts.push({ name: 'Commit', value: ctx.commit.slice(0, 12) });
    if (ctx.repository)
        facts.push({ name: 'Repository', value: ctx.repository });
    const inHeadline = (kind === 'failed' || kind === 'refused') && error === why;
    return { outcome: kind, text, where, error, errorBlock: inHeadline ? undefined : error, details, facts, versions, rolledBack, stillApplied, runUrl: isHttpUrl(ctx.runUrl) ? ctx.runUrl : undefined };
}
function notify_formatBytes(n) {
    if (n < 1024)
        return `${n} B`;
    if (n < 1024 * 1024)
        return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
function isHttpUrl(url) {
    return !!url && /^https?:\/\/\S+$/i.test(url) && url.length <= 2000;
}
/** Slack's mrkdwn: &, < and > are control characters (<!channel> would ping everyone). */
function slackEscape(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
/** Escaped text cut to `max`, never inside an entity. */
function slackFit(escaped, max) {
    if (escaped.length <= max)
        return escaped;
    let end = max - 1;
    const amp = escaped.lastIndexOf('&', end);
    if (amp >= 0 && amp > end - 5 && !escaped.slice(amp, end).includes(';'))
        end = amp;
    return `${escaped.slice(0, end)}…`;
}
function slackBody(s, ctx) {
    const section = (text) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const blocks = [section(slackFit(`*${slackEscape(s.text)}*`, SLACK_SECTION))];
    // A code block ends at the first ```: an error holding one would spill out of it.
    if (s.errorBlock)
        blocks.push(section('```' + slackFit(slackEscape(s.errorBlock.replace(/```/g, "'''")), SLACK_SECTION - 6) + '```'));
    if (s.details.length)
        blocks.push(section(slackFit(slackEscape(s.details.join('\n')), SLACK_SECTION)));
    blocks.push({ type: 'section', fields: s.facts.slice(0, SLACK_FIELDS).map((f) => ({ type: 'mrkdwn', text: slackFit(`*${f.name}*\n${slackEscape(f.value)}`, SLACK_FIELD) })) });
    if (s.runUrl)
        blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'View run' }, url: s.runUrl }] });
    const where = [ctx.repository, ctx.commit?.slice(0, 12)].filter(Boolean).join(' @ ');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackFit(slackEscape(`pgshift${where ? ` · ${where}` : ''}`), SLACK_SECTION) }] });
    return { text: cut(s.text, SLACK_SECTION), blocks };
}
const TEAMS_COLOR = { applied: 'Good', 'up-to-date': 'Good', 'rolled-back': 'Warning', refused: 'Warning', failed: 'Attention' };
function teamsBody(s) {
    const block = (text, extra = {}) => ({ type: 'TextBlock', text, wrap: true, ...extra });
    const body = [block(s.text, { weight: 'Bolder', size: 'Medium', color: TEAMS_COLOR[s.outcome] })];
    if (s.errorBlock)
        body.push(block(s.errorBlock, { fontType: 'Monospace', color: 'Attention' }));
    for (const d of s.details)
        body.push(block(d, { spacing: 'Small' }));
    body.push({ type: 'FactSet', facts: s.facts.map((f) => ({ title: f.name, value: f.value })) });
    return {
        type: 'message',
        // Not part of Teams' schema: the one line for any other reader of the body (Workflows ignore it).
        text: s.text,
        attachments: [
            {
                contentType: 'application/vnd.microsoft.card.adaptive',
                contentUrl: null,
                content: {
                    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                    type: 'AdaptiveCard',
                    version: '1.4',
                    msteams: { width: 'Full' },
                    body,
                    actions: s.runUrl ? [{ type: 'Action.OpenUrl', title: 'View run', url: s.runUrl }] : [],
                },
            },
        ],
    };
}
const DISCORD_COLOR = { applied: 0x2eb67d, 'up-to-date': 0x2eb67d, 'rolled-back': 0xecb22e, refused: 0xe8912d, failed: 0xe01e5a };
function discordBody(s) {
    const fields = s.facts.slice(0, DISCORD_FIELDS).map((f) => ({ name: f.name, value: cut(f.value || '—', DISCORD_FIELD), inline: f.value.length <= 40 }));
    const footer = 'pgshift';
    const title = cut(s.text, 256);
    // Discord refuses an embed whose text adds up to more than 6000 characters: the description gives way.
    const room = DISCORD_EMBED_TOTAL - title.length - footer.length - fields.reduce((n, f) => n + f.name.length + f.value.length, 0) - 100;
    const parts = [...(s.errorBlock ? ['```\n' + s.errorBlock.replace(/```/g, "'''") + '\n```'] : []), ...s.details];
    const description = parts.length ? cut(parts.join('\n'), Math.max(0, Math.min(DISCORD_DESCRIPTION, room))) : undefined;
    return {
        content: cut(s.text, DISCORD_CONTENT),
        // An error quoting "@everyone" must not ping anyone.
        allowed_mentions: { parse: [] },
        embeds: [{ title, ...(description ? { description } : {}), color: DISCORD_COLOR[s.outcome], ...(s.runUrl ? { url: s.runUrl } : {}), fields, footer: { text: footer } }],
    };
}
function jsonBody(o, s, ctx) {
    return {
        text: s.text,
        tool: 'pgshift',
        outcome: s.outcome,
        command: o.command === 'down' ? 'down' : 'up',
        environment: o.environment,
        protected: o.protected,
        database: o.target ?? ctx.database ?? null,
        versions: s.versions,
        rolledBack: s.rolledBack,
        stillApplied: s.stillApplied,
        rollbackReason: o.rollback?.reason ?? null,
        durationMs: o.durationMs ?? null,
        error: s.error ?? null,
        health: (o.health ?? []).map((h) => ({ kind: h.kind, target: h.target, passed: h.passed, returned: h.returned, tries: h.tries, durationMs: h.durationMs, afterRollback: !!h.afterRollback })),
        backup: o.backup ? { file: (0,external_node_path_namespaceObject.basename)(o.backup.file), mode: o.backup.mode, bytes: o.backup.bytes } : null,
        run: { url: s.runUrl ?? null, actor: ctx.actor ?? null, commit: ctx.commit ?? null, repository: ctx.repository ?? null },
    };
}
/**
 * The body of a notification of `outcome` in `format`: one text line plus structured fields. Pure; the
 * sink redacts it before sending. A dry run is never notified (notifySink skips it); given one anyway,
 * it reads as up to date.
 */
function notificationBody(outcome, format, ctx) {
    const s = summarize(outcome, notifyOutcomeOf(outcome) ?? 'up-to-date', ctx);
    if (format === 'slack')
        return slackBody(s, ctx);
    if (format === 'teams')
        return teamsBody(s);
    if (format === 'discord')
        return discordBody(s);
    return jsonBody(outcome, s, ctx);
}
/** The webhook as it may be shown: scheme and host only. */
function webhookOrigin(url) {
    try {
        const u = new URL(url);
        return `${u.protocol}//${u.host}`;
    }
    catch {
        return 'the notification URL (not a valid URL)';
    }
}
const notify_sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Retry-After in ms (seconds or an HTTP date), if the answer has one. */
function retryAfterMs(header, now) {
    if (!header)
        return undefined;
    const t = header.trim();
    if (/^\d+(\.\d+)?$/.test(t))
        return Number(t) * 1000;
    const at = Date.parse(t);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
/** POSTs `body`, retrying 5xx, 429 and network errors with backoff, all within the budget. */
async function deliver(target, body, o, scrub) {
    // fetch refuses a URL with credentials: an endpoint behind basic auth gets them as a header.
    const auth = target.username || target.password ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}` : undefined;
    const url = new URL(target.href);
    url.username = '';
    url.password = '';
    const triesMax = Math.max(1, o.triesMax ?? 3);
    const budgetMs = o.budgetMs ?? 10_000;
    const deadline = Date.now() + budgetMs;
    let wait = o.backoffMs ?? 500;
    let why = 'not tried';
    let tries = 0;
    while (tries < triesMax) {
        const remaining = deadline - Date.now();
        if (remaining <= 0)
            break;
        tries++;
        let retryAfter;
        try {
            const res = await fetch(url, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', 'User-Agent': `pgshift${o.version ? `/${o.version}` : ''} (notification)`, ...(auth ? { Authorization: auth } : {}) },
                body,
                // Each try may use what is left of the budget, and no more.
                signal: AbortSignal.timeout(remaining),
            });
            if (res.ok) {
                await res.body?.cancel().catch(() => { });
                return { ok: true, tries };
            }
            // What the service says is wrong ("invalid_payload", "no_text"): a few words, scrubbed of the URL.
            const said = await res
                .text()
                .then((t) => cut(notify_firstLine(t).trim(), 200))
                .catch(() => '');
            why = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${said ? ` (${scrub(said)})` : ''}`;
            if (res.status !== 429 && res.status < 500)
                return { ok: false, tries, why };
            retryAfter = retryAfterMs(res.headers.get('retry-after'), Date.now());
        }
        catch (err) {
            const e = err;
            if (e.name === 'TimeoutError' || e.name === 'AbortError')
                why = `no answer within ${text_formatMs(remaining)}`;
            else
                why = scrub(e.cause?.message ?? e.cause?.code ?? e.message);
        }
        if (tries >= triesMax)
            break;
        const pause = retryAfter ?? wait;
        // A wait that would leave no time for the next try (a long Retry-After) ends the tries now.
        if (Date.now() + pause >= deadline - 100) {
            if (retryAfter !== undefined)
                why += `; asked to retry after ${text_formatMs(retryAfter)}, past the ${text_formatMs(budgetMs)} budget`;
            break;
        }
        await notify_sleep(pause);
        wait *= 3;
    }
    return { ok: false, tries, why };
}
/** A Sink that sends the deploy's outcome to a webhook when it is one of `on`; it never throws. */
function notifySink(o) {
    const origin = webhookOrigin(o.url);
    // Anything shown about a delivery keeps the URL's secret part out, whatever echoed it.
    const secretParts = [[o.url, `${origin}/***`]];
    try {
        const u = new URL(o.url);
        secretParts.push([u.href, `${origin}/***`], [`${u.pathname}${u.search}`, '/***']);
    }
    catch {
        /* not a URL: the whole text is the secret, as above */
    }
    const parts = secretParts.filter(([p]) => p.length > 1).sort((a, b) => b[0].length - a[0].length);
    const scrub = (text) => o.redactor.redact(parts.reduce((t, [p, shown]) => t.split(p).join(shown), text));
    return {
        async finished(outcome) {
            try {
                const kind = notifyOutcomeOf(outcome);
                if (!kind || !o.on.includes(kind))
                    return;
                let target;
                try {
                    target = new URL(o.url);
                }
                catch {
                    o.warn(`the ${o.format} notification was not sent: its URL is not a valid URL. The deploy's outcome stands.`);
                    return;
                }
                const body = redactDeep(notificationBody(outcome, o.format, o.context), (t) => o.redactor.redact(t));
                const sent = await deliver(target, JSON.stringify(body), o, scrub);
                if (sent.ok)
                    o.info?.(`notified ${origin.replace(/^https?:\/\//, '')} (${kind})`);
                else
                    o.warn(`the ${o.format} notification to ${origin} was not delivered: ${sent.why} (${triesText(sent.tries)}). The deploy's outcome stands.`);
            }
            catch (err) {
                o.warn(`the ${o.format} notification to ${origin} was not sent: ${scrub(err.message)}. The deploy's outcome stands.`);
            }
        },
    };
}
/** The database's name from a connection URL, for a notification's context (never the URL itself). */
function databaseNameOf(url) {
    try {
        const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
        return name || undefined;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/report/sink.ts
/** One sink that reports to each of `sinks`, in order; async destinations are awaited one by one. */
function fanOut(...sinks) {
    return {
        event(e) {
            for (const s of sinks)
                s.event?.(e);
        },
        async planned(plan, review) {
            for (const s of sinks)
                await s.planned?.(plan, review);
        },
        async finished(outcome) {
            for (const s of sinks)
                await s.finished(outcome);
        },
    };
}

;// CONCATENATED MODULE: external "node:util"
const external_node_util_namespaceObject = require("node:util");
;// CONCATENATED MODULE: ./src/cli/args.ts
// Command-line flags → settings. The flags, their parsing and the Options part of --help all come from
// the settings table; every bad flag is a usage error (exit 2) naming the fix.



const args_COMMANDS = ['up', 'down', 'status', 'plan', 'lint', 'new', 'resolve', 'repair', 'adopt', 'baseline', 'verify', 'dump', 'drift', 'history', 'help', 'version'];
/** Commands that take no flags of their own. */
const META = ['help', 'version'];
const isCommand = (word) => args_COMMANDS.includes(word ?? '');
/** What a row's flag applies to; a row that does not say applies to every command. */
const appliesTo = (s, command) => !s.commands || s.commands.includes(command);
/** Words people reach for from other tools, and pgshift's command for each. */
const COMMAND_ALIASES = {
    rollback: 'down',
    undo: 'down',
    revert: 'down',
    migrate: 'up',
    apply: 'up',
    deploy: 'up',
    'dry-run': 'plan',
    dryrun: 'plan',
    preview: 'plan',
    create: 'new',
    generate: 'new',
    info: 'status',
    list: 'status',
    check: 'lint',
};
/** Edit distance counting a swap of two neighbours as one edit (--stpes is one edit from --steps). */
function args_distance(a, b) {
    const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}
/** The candidate a typo most likely meant: within one edit per three letters, two at most. */
function closest(word, candidates) {
    const limit = Math.min(2, Math.max(1, Math.floor(word.replace(/^-+/, '').length / 3)));
    let best;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = args_distance(word.toLowerCase(), c);
        if (d < bestDistance)
            [best, bestDistance] = [c, d];
    }
    return bestDistance <= limit ? best : undefined;
}
/** "up, down and plan". */
function inWords(words) {
    return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : (words[0] ?? '');
}
function unknownCommand(word) {
    const meant = COMMAND_ALIASES[word.toLowerCase()] ?? closest(word, args_COMMANDS);
    const hint = meant ? `: did you mean "pgshift ${meant}"?` : '.';
    return new ConfigError(`unknown command "${word}"${hint} The commands are ${inWords(args_COMMANDS.filter((c) => !META.includes(c)))}. See "pgshift --help".`);
}
/** What to say about a flag pgshift does not have. */
function flagHint(flag) {
    const name = flag.replace(/=.*$/, '');
    if (/^--dry-?run$/i.test(name))
        return 'a dry run is a command of its own: "pgshift plan" (or "pgshift plan down")';
    if (['--url', '--db', '--database', '--db-url', '--dsn'].includes(name))
        return 'did you mean --database-url?';
    // The GitHub Action's input names, written as flags.
    const input = FLAGS.find((s) => s.input && `--${s.input}` === name);
    if (input)
        return `did you mean ${input.flag}? (${input.input} is the GitHub Action's name for it)`;
    const near = closest(name, [...FLAGS.map((s) => s.flag), '--help', '--version']);
    return near ? `did you mean ${near}?` : undefined;
}
/** "See "pgshift up --help"." for the command in argv, else the general help. */
function seeHelp(command) {
    return `See "pgshift ${command && isCommand(command) && !META.includes(command) ? `${command} ` : ''}--help".`;
}
const FLAGS = SETTING_ROWS.filter((s) => s.flag);
/** `--version` takes a value only as history's filter; everywhere else it is the switch that prints pgshift's version. */
function flagOptions(versionFilter) {
    const options = { help: { type: 'boolean', short: 'h' } };
    for (const s of FLAGS)
        options[s.flag.slice(2)] = { type: s.arg ? 'string' : 'boolean', ...(s.short ? { short: s.short } : {}) };
    options.version = { type: versionFilter ? 'string' : 'boolean' };
    return options;
}
/**
 * Whether `--version` is history's filter here: the command is history and --version comes after it
 * (`pgshift history --version 20240101`). `pgshift --version`, `pgshift --version history` and
 * `pgshift up --version` keep printing pgshift's version. A loose first pass finds the command word.
 */
function versionIsFilter(argv) {
    const { tokens } = (0,external_node_util_namespaceObject.parseArgs)({ args: argv, allowPositionals: true, strict: false, tokens: true, options: flagOptions(false) });
    const command = tokens.find((t) => t.kind === 'positional');
    const version = tokens.find((t) => t.kind === 'option' && t.name === 'version');
    return command?.kind === 'positional' && command.value === 'history' && (!version || version.index > command.index);
}
function parseCli(argv, env = process.env) {
    let parsed;
    const versionFilter = versionIsFilter(argv);
    try {
        parsed = (0,external_node_util_namespaceObject.parseArgs)({ args: argv, allowPositionals: true, strict: true, options: flagOptions(versionFilter) });
    }
    catch (err) {
        const e = err;
        const see = seeHelp(argv.find(isCommand));
        if (versionFilter && e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /--version/.test(e.message)) {
            throw new ConfigError(`--version after "pgshift history" takes the version whose rows to show: pgshift history --version 20240101 (pgshift --version prints pgshift's version). ${see}`);
        }
        const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /Unknown option '([^']+)'/.exec(e.message)?.[1] : undefined;
        if (unknown) {
            const hint = flagHint(unknown);
            throw new ConfigError(`unknown option ${unknown}${hint ? `: ${hint}` : ''}${hint?.endsWith('?') ? '' : '.'} ${see}`);
        }
        throw new ConfigError(`${e.message.replace(/\. To specify.*$/s, '')}. ${see}`);
    }
    const v = parsed.values;
    const [first, ...positionals] = parsed.positionals;
    if (first !== undefined && !isCommand(first))
        throw unknownCommand(first);
    // The switch that prints pgshift's version is no setting: history's filter row must not read it.
    const printVersion = !versionFilter && v.version === true;
    if (!versionFilter)
        delete v.version;
    const given = new Set(FLAGS.filter((s) => v[s.flag.slice(2)] !== undefined).map((s) => s.key));
    let command;
    let topic;
    if (v.help)
        [command, topic] = ['help', first === 'help' ? positionals[0] : first];
    else if (printVersion)
        command = 'version';
    // --dry-run is adopt's and baseline's; alone, it is still someone looking for pgshift plan.
    else if (first === undefined && v['dry-run'])
        throw new ConfigError(`unknown option --dry-run: ${flagHint('--dry-run')}. ${seeHelp(undefined)}`);
    else if (first === undefined)
        return { command: 'help', positionals: [], settings: readSettings('cli', () => undefined), given, bare: true };
    else
        [command, topic] = [first, first === 'help' ? positionals[0] : undefined];
    if (topic !== undefined && !isCommand(topic))
        throw unknownCommand(topic);
    if (!META.includes(command)) {
        // A flag the command does not read is a mistake (a typo'd command, a flag meant for another one).
        for (const s of FLAGS) {
            if (!given.has(s.key) || appliesTo(s, command))
                continue;
            const plan = s.key === 'dryRun' ? ` (a dry run of up or down is a command of its own: "pgshift plan")` : '';
            throw new ConfigError(`${s.flag} does not apply to "pgshift ${command}": it is for ${inWords(s.commands.filter(isCommand))}${plan}. See "pgshift ${command} --help".`);
        }
    }
    if (v.applied && v['rolled-back'])
        throw new ConfigError('pass either --applied or --rolled-back to resolve, not both.');
    const settings = readSettings('cli', (s) => {
        const value = s.flag ? v[s.flag.slice(2)] : undefined;
        // A given flag is parsed even when empty (`--lock-wait ''` is an error, not the default).
        if (typeof value === 'string')
            return value === '' ? ' ' : value;
        return value === true ? 'true' : undefined;
    });
    if (!v['database-url'])
        settings.databaseUrl = env.DATABASE_URL || '';
    if (!v.dir)
        settings.dir = `./${SETTINGS.dir.default}`;
    return { command, positionals: command === 'help' ? [] : positionals, settings, given, topic: topic && !META.includes(topic) ? topic : undefined };
}
function options(flags = FLAGS, general = true) {
    const rows = flags.map((s) => {
        const left = `${s.short ? `-${s.short}, ` : '    '}${s.flag}${s.arg ? ` ${s.arg}` : ''}`;
        const def = s.shown && s.shown !== 'false' && !/default/.test(s.help) ? ` (default ${s.shown})` : '';
        return `  ${left.padEnd(34)} ${s.help}${def}`;
    });
    return [...rows, `  ${'-h, --help'.padEnd(34)} this help`, ...(general ? [`  ${'    --version'.padEnd(34)} print the version`] : [])].join('\n');
}
const HELP = `pgshift — safe, fast PostgreSQL schema migrations

Usage: pgshift <command> [options]
       pgshift <command> --help      what one command does, and the options it takes

Commands:
  up                    apply pending migrations (all, or --target / --steps)
  down                  roll back the last applied migration (--steps N, or --target V)
  status                list every migration: applied, pending, failed, modified or missing
  history               the audit log: every apply, rollback, resolve, repair, adopt and baseline, newest
                        first (--env, --version, --limit; read-only)
  plan [up|down]        dry run: what up/down would run, with its SQL and safety findings (read-only: no table, no lock)
  lint [paths...]       safety findings: of the given files or directories; with no path, of the pending
                        migrations when a database is given, else of every migration in --dir
  new <name>            write <UTC yyyymmddhhmmss>_<name>.sql with -- migrate:up / -- migrate:down
  resolve <version>     settle a failed non-transactional migration: --applied or --rolled-back
  repair <version>...   accept an applied migration's changed file: record its new checksum (--reason; --all)
  adopt --from <tool>   take over the history of dbmate, golang-migrate, goose, sql-migrate, flyway,
                        node-pg-migrate, prisma or supabase: record what it applied, without running it
  baseline <version>    a database with no history: record every migration up to <version> as applied
  verify                on a shadow database: each pending migration runs, its down restores the schema,
                        and it runs again (--shadow-url)
  dump                  the target's schema as deterministic text (--out); --from-migrations: what the
                        migrations produce on the shadow database
  drift                 the target's live schema against what its applied migrations produce on the shadow

Options:
${options()}

Protected environments (--env listed in --protected-environments, default production):
  a down needs --confirm MIGRATE-<ENV>; destructive findings refuse up unless --allow-destructive;
  error-level findings refuse it always. --policy additive-only refuses destructive statements anywhere.

On a terminal (stdin and stdout TTYs), a destructive up, a down of more than one migration and a down
--target 0 show what they would destroy and ask "Proceed? [y/N]" first; --yes runs without asking.
Without a terminal nothing is ever asked.

Settings from a file: DATABASE_URL (and any other variable) from ./.env, or --env-file <path>; the real
environment wins.

Migration files (decided per file):
  <version>_<name>.sql with -- migrate:up / -- migrate:down sections (dbmate; header may add transaction:false)
  <version>_<name>.up.sql with an optional <version>_<name>.down.sql
  V<version>__<name>.sql with an optional U<version>__<name>.sql (Flyway)
  <version>_<name>.sql with no markers: the whole file is the up migration (no down)

Exit codes:
  0  success
  1  a migration failed or lost its connection (rolled back, or marked failed/running until resolve); lint: an error-level finding
  2  usage or configuration error (bad flag, missing directory, database unreachable)
  3  validation or the safety policy refused the run (changed or missing applied file, out-of-order, parse error, a refused finding)
  4  the migration lock was not acquired within --lock-wait
`;
/** More than the one line of the Commands list, for the commands that need it. */
const DETAILS = {
    up: `On a terminal, an up with destructive findings shows the migrations, the findings and the rows the
dropped tables hold, then asks "Proceed? [y/N]" (--yes runs without asking; without a terminal nothing
is asked). It prints the safety findings of what it applied. In a protected environment the plan is
printed first, and destructive findings refuse the run unless --allow-destructive.`,
    down: `On a terminal, a down of more than one migration, or to --target 0, shows what it rolls back and the
rows the dropped tables hold, then asks "Proceed? [y/N]" (--yes runs without asking; without a
terminal nothing is asked). In a protected environment it needs --confirm MIGRATE-<ENV>.`,
    plan: `Exits 3 when the run would be refused. Without a database, every migration in --dir is treated as pending.
It takes the flags of up and down, so one set of flags serves the plan and the run; those about running
(locks, timeouts) change nothing in a plan.`,
    status: 'Needs a database. With --exit-code, exits 3 when an applied migration is modified, missing, failed or running, else 1 when anything is pending.',
    repair: `For an applied migration whose file changed on purpose (whitespace, comments, a fix already applied
by hand): under the migration lock, records the file's current checksum and a migration_history row
(action repair) with --reason, the old and the new checksum, and who ran it. --reason is required. A
version whose file matches says so and writes nothing; a missing file cannot be repaired. --all lists
every changed applied migration first and asks on a terminal; without one it refuses unless --yes.`,
    adopt: `Reads the other tool's history table as that tool reads it, matches each migration it applied to
its file (by version, or by file or folder name where the tool keys by name), and records them in
schema_migrations as applied, with the files' current checksums and a migration_history row (action
adopt): in one transaction, under the migration lock. A migration the tool recorded as failed is recorded
failed (settle it with pgshift resolve); a dirty golang-migrate version or an unfinished Prisma migration
refuses, with how to settle it. A migration with no file refuses unless --allow-missing. The other tool's
rows are left as they are, so you can go back; golang-migrate's schema_migrations is renamed
golang_migrate_schema_migrations. Once done, adopting again does nothing. --dry-run writes nothing.`,
    baseline: `For a database whose schema is already in place but has no history (pgshift's or another tool's):
records every migration up to and including <version> as applied without running it (migration_history
action baseline), under the migration lock. Refused when schema_migrations already has rows. With
--shadow-url it is proven first: the migrations up to <version> are replayed on a shadow database and
must give the live schema, or the baseline is refused with the differences. --dry-run writes nothing.`,
    history: `Reads migration_history, newest first: when (UTC), version, name, action (apply, rollback, resolve,
repair, adopt, baseline), status (success or failed), environment, who ran it, how long it took, and its
note (a failure's error, or why a resolve, repair, adopt or baseline was recorded; first line). Read-only:
it takes no lock and creates nothing; a database where no pgshift run has written yet has no history
(exit 0; --json prints []). --env and --version filter only when given ("001" and "1" are one version).`,
    lint: 'Exits 1 on an error-level finding. Rules and their settings: docs/rules.md.',
    verify: `Makes a fresh database pgshift_shadow_<random> on the --shadow-url server (dropped at the end, also on
SIGINT/SIGTERM), applies the migrations the target already has (none without --database-url), then for
each pending migration: up, down (the schema must be as before the up), up again (as after the first).
One line per migration: verified, up-failed, down-failed, down-mismatch (with what differs),
reapply-failed, no-down or skipped. Exits 0 when every migration is verified (or has no down and
--allow-no-down is given), 1 otherwise.`,
    dump: `Prints the schema as pgshift's model reads it from the catalogs: one object per block, sorted, the
same bytes for the same schema. Owners only with --include-owners; pgshift's tracking tables never.
With --from-migrations, the schema the migrations directory produces on a shadow database (--shadow-url).`,
    drift: `Replays the target's applied migrations on a shadow database (--shadow-url) and compares the result
with the target's live schema. Exits 0 when they match, 1 on drift, listing each difference.`,
    new: 'A file made in the same second as an existing version takes the next free second.',
};
/** Each command's line of the Commands list in HELP: its usage ("plan [up|down]") and what it does. */
function commandLines() {
    const section = HELP.slice(HELP.indexOf('Commands:\n') + 'Commands:\n'.length, HELP.indexOf('\n\nOptions:'));
    const lines = new Map();
    let last;
    for (const line of section.split('\n')) {
        const m = /^ {2}(\S.*?)\s{2,}(\S.*)$/.exec(line);
        if (m)
            lines.set(m[1].split(' ')[0], (last = { usage: m[1], about: m[2] }));
        else if (last && line.trim())
            last.about += ' ' + line.trim();
    }
    return lines;
}
/** `pgshift <command> --help`: its usage, what it does, and the options that apply to it (from the settings rows). */
function commandHelp(command) {
    const line = commandLines().get(command);
    const about = line ? line.about[0].toUpperCase() + line.about.slice(1) + '.' : '';
    const details = DETAILS[command];
    return [
        `Usage: pgshift ${line?.usage ?? command} [options]`,
        '',
        about,
        ...(details ? ['', details] : []),
        '',
        'Options:',
        options(FLAGS.filter((s) => appliesTo(s, command)), false),
        '',
        'Every command, the exit codes and the migration file forms: pgshift --help',
    ].join('\n');
}

;// CONCATENATED MODULE: ./src/cli/env-file.ts
// `.env` files, read as dbmate reads them: NAME=value lines, an optional `export ` before the name,
// `#` comments (a whole line, or after an unquoted value), 'single quotes' taken literally, "double
// quotes" with \n, \t, \" and \\ escapes. Variables already in the real environment win over the file.



const env_file_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
/** The file's variables; a line that is not NAME=value is refused with its file:line (never its text, which may hold a password). */
function parseEnvFile(text, path) {
    const vars = {};
    text
        .replace(/^\uFEFF/, '')
        .split(/\r\n|\n|\r/)
        .forEach((raw, i) => {
        const where = `${path}:${i + 1}`;
        const line = raw.trim();
        if (!line || line.startsWith('#'))
            return;
        const eq = line.indexOf('=');
        const name = (eq < 0 ? line : line.slice(0, eq)).replace(/^export\s+/, '').trim();
        if (eq < 0 || !env_file_NAME.test(name)) {
            throw new ConfigError(`${where}: not a NAME=value line (write it as DATABASE_URL=postgres://…; a line starting with # is a comment).`);
        }
        vars[name] = value(line.slice(eq + 1).trim(), `${where}: the value of ${name}`);
    });
    return vars;
}
function value(text, what) {
    const quote = text[0];
    if (quote !== '"' && quote !== "'")
        return text.replace(/\s+#.*$/, '');
    let out = '';
    for (let i = 1; i < text.length; i++) {
        const c = text[i];
        if (c === quote) {
            if (!/^\s*(#.*)?$/.test(text.slice(i + 1)))
                throw new ConfigError(`${what} has text after its closing quote: put a # before a comment.`);
            return out;
        }
        if (quote === '"' && c === '\\' && i + 1 < text.length) {
            const next = text[++i];
            out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
            continue;
        }
        out += c;
    }
    throw new ConfigError(`${what} opens a ${quote === '"' ? 'double' : 'single'} quote that does not close on its line.`);
}
/**
 * The environment the CLI runs with: `env` over the variables of `--env-file`, or of `.env` in `cwd`
 * when it exists. A given file that is missing is an error; a missing `.env` is not.
 */
function withEnvFile(env, given, cwd) {
    const path = (0,external_node_path_namespaceObject.resolve)(cwd, given ?? '.env');
    if (given === undefined && !(0,external_node_fs_.existsSync)(path))
        return env;
    if (!(0,external_node_fs_.existsSync)(path))
        throw new ConfigError(`--env-file ${given}: there is no such file${(0,external_node_path_namespaceObject.isAbsolute)(given) ? '' : ` in ${cwd}`}.`);
    if (!(0,external_node_fs_.statSync)(path).isFile())
        throw new ConfigError(`${given !== undefined ? `--env-file ${given}: ` : ''}${path} is not a file: pass a file of NAME=value lines with --env-file.`);
    let text;
    try {
        text = (0,external_node_fs_.readFileSync)(path, 'utf8');
    }
    catch (err) {
        throw new ConfigError(`cannot read ${path}: ${err.code ?? err.message}. Check its permissions, or pass another file with --env-file.`);
    }
    const vars = parseEnvFile(text, given ?? '.env');
    // The real environment wins: an empty DATABASE_URL set on purpose is still the environment's.
    return { ...vars, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) };
}

;// CONCATENATED MODULE: ./src/cli/exit-codes.ts
// The CLI's exit codes, documented in --help and the README. The engine's errors are kinds; the
// number each kind leaves the process with is decided here, once.

const ExitCode = {
    ok: 0,
    migrationFailed: 1,
    usage: 2,
    validation: 3,
    lock: 4,
};
function exitCodeOf(err) {
    if (err instanceof ConfigError || err instanceof ConnectionError)
        return ExitCode.usage;
    if (err instanceof ValidationError || err instanceof PolicyError)
        return ExitCode.validation;
    if (err instanceof LockError)
        return ExitCode.lock;
    if (err instanceof MigrationFailedError || err instanceof AbortedError)
        return ExitCode.migrationFailed;
    return ExitCode.migrationFailed;
}

;// CONCATENATED MODULE: ./src/cli/git.ts
// `--since <git-ref>`: the files added or changed since the ref, read from git. What that means for
// the migrations (pending or applied) is the commands' decision; this only asks git.




function git(args, cwd) {
    return (0,external_node_child_process_namespaceObject.execFileSync)('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 512 * 1024 * 1024 });
}
/** The nearest existing folder at or above `path`, where git is asked. */
function folderOf(path) {
    let p = (0,external_node_path_namespaceObject.resolve)(path);
    if ((0,external_node_fs_.existsSync)(p) && !(0,external_node_fs_.statSync)(p).isDirectory())
        p = (0,external_node_path_namespaceObject.dirname)(p);
    while (!(0,external_node_fs_.existsSync)(p) && (0,external_node_path_namespaceObject.dirname)(p) !== p)
        p = (0,external_node_path_namespaceObject.dirname)(p);
    return p;
}
/**
 * What changed since `ref` in the repository holding `path`: the commits since the point where this
 * branch left `ref` (git merge-base), plus changes not committed yet and files git does not track yet,
 * so a migration written a minute ago counts as pending.
 */
function sinceBaseline(ref, path) {
    if (ref.startsWith('-'))
        throw new ConfigError(`--since ${ref} is not a git ref: name a branch, tag or commit (--since main).`);
    const cwd = folderOf(path);
    let top;
    try {
        top = git(['rev-parse', '--show-toplevel'], cwd).trim();
    }
    catch (err) {
        if (err.code === 'ENOENT')
            throw new ConfigError('--since needs git, and git is not installed (or not on PATH).');
        throw new ConfigError(`--since ${ref}: ${cwd} is not inside a git repository, so there is no history to compare with. Run pgshift inside the repository, or leave --since out.`);
    }
    let base;
    try {
        base = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], top).trim();
    }
    catch {
        throw new ConfigError(`--since ${ref}: git knows no commit by that name in ${top}. Name a branch, tag or commit that exists here (a remote branch may need "git fetch" first).`);
    }
    let from = base;
    try {
        from = git(['merge-base', base, 'HEAD'], top).trim() || base;
    }
    catch {
        // No common history (or a shallow clone): compare with the ref itself.
    }
    try {
        const changed = [
            ...parseNameStatus(git(['diff', '--name-status', '-z', '--no-renames', from, '--'], top), top),
            ...parseNameStatus(git(['ls-files', '--others', '--exclude-standard', '-z'], top), top, true),
        ];
        return { label: `${ref} (${from.slice(0, 7)})`, changed };
    }
    catch (err) {
        const said = String(err.stderr ?? err.message)
            .trim()
            .split('\n')[0];
        throw new ConfigError(`--since ${ref}: git could not list the files changed since ${from.slice(0, 7)} in ${top} (${said}).`);
    }
}

;// CONCATENATED MODULE: ./src/cli/lint-command.ts
// `pgshift lint [paths...]` on the terminal: findings one a line (or JSON), then a count.


/**
 * Prints the findings of files or directories; 1 when any is an error, else 0. Bad paths or config throw
 * ConfigError. With a baseline (--since), a directory's migrations unchanged since the base count as applied.
 */
async function runLint(paths, opts, baseline, ignored = [], facts) {
    const config = loadLintConfig(opts.config);
    const report = await lintFiles(paths, config, baseline, facts);
    return printFindings(report.findings, opts, report.notes, [...report.ignored, ...ignored]);
}
/**
 * Prints findings one a line (or as JSON) with a count, and the notes to `err`; 1 when any is an error,
 * else 0. The .sql files left out as not migrations come last, so that they are not lost above the findings.
 */
function printFindings(all, opts, notes = [], ignored = []) {
    for (const note of notes)
        opts.err?.(`note: ${displayMessage(note)}`);
    const findings = all.map((f) => ({ ...f, path: displayPath(f.path), message: displayMessage(f.message) }));
    if (opts.json) {
        opts.out(JSON.stringify(findings, null, 2));
    }
    else {
        for (const f of findings)
            opts.out(`${f.path}:${f.line}:${f.column}  ${f.severity}  ${f.rule}  ${f.message} (${f.docs})`);
        opts.out(summary(findings));
    }
    for (const warning of ignored)
        opts.err?.(`warning: ${displayMessage(warning)}`);
    return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
function summary(findings) {
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.length - errors;
    if (!findings.length)
        return 'no findings';
    const n = (k, word) => `${k} ${word}${k === 1 ? '' : 's'}`;
    return `${n(errors, 'error')}, ${n(warnings, 'warning')}`;
}

;// CONCATENATED MODULE: ./src/cli/progress.ts
// The terminal Sink: each migration as it runs (a long one gets a "still running" line every 10 s), the
// plan a protected environment puts on record, and the result of up/down.





function terminalSink(io, opts) {
    let timer;
    let current;
    // The plan on record (a protected environment) already listed the findings.
    let findingsShown = false;
    // With --json, stdout carries the JSON alone: progress goes to stderr.
    const say = (line) => (opts.json ? io.err(line) : io.out(line));
    const event = (e) => {
        switch (e.type) {
            case 'connect-retry':
                io.err(`… ${e.message}`);
                break;
            case 'lock-wait':
                io.err(`… waiting for the migration lock${e.holder ? ` held by pid ${e.holder.pid} (${e.holder.applicationName || 'unknown'})` : ''} (${Math.round(e.waitedMs / 1000)}s)`);
                break;
            case 'tracking-created':
                if (opts.verbose)
                    say(`created ${e.schema}.schema_migrations and ${e.schema}.migration_history`);
                break;
            case 'tracking-adopted':
                say(`adopted dbmate's ${e.schema}.schema_migrations (${e.rows} applied migrations kept; checksums taken from the current files)`);
                break;
            case 'step-start':
                current = { step: e.step, started: Date.now() };
                if (opts.verbose)
                    say(`${e.step.direction === 'up' ? '↑' : '↓'} ${stepLabel(e.step)} (${e.index + 1}/${e.total}, ${e.step.transactional ? 'transactional' : 'non-transactional'})…`);
                clearInterval(timer);
                timer = setInterval(() => {
                    if (current)
                        say(`  … ${stepLabel(current.step)} still running (${Math.round((Date.now() - current.started) / 1000)} s${current.statement ? `, ${current.statement}` : ''})`);
                }, 10_000);
                timer.unref();
                break;
            case 'statement-start':
                if (current)
                    current.statement = `statement ${e.statementNumber}/${e.statementCount}`;
                break;
            case 'step-retry':
                say(`  ↻ ${stepLabel(e.step)}: ${e.message}; retry ${e.attempt} in ${text_formatMs(e.delayMs)}`);
                break;
            case 'step-done':
                clearInterval(timer);
                say(`${e.result.direction === 'up' ? '✓ applied    ' : '✓ rolled back'} ${stepLabel(e.step)}  ${text_formatMs(e.result.durationMs)}`);
                break;
            case 'step-failed':
                clearInterval(timer);
                break;
            case 'warning':
                io.err(`warning: ${e.message}`);
                break;
            case 'backup':
                say(`✓ backed up  ${displayPath(e.report.file)}  ${backupLine(e.report)}`);
                break;
            case 'health':
                say(healthLine(e.result));
                break;
            case 'rollback-start':
                io.err(`↩ ${e.reason}: rolling back what this run applied (${e.versions.join(', ')}), newest first`);
                break;
        }
    };
    return {
        event,
        planned(plan, _review) {
            // Only a protected deploy puts its plan on record before running: show what is about to happen.
            say(`Plan for protected environment:\n${renderPlan(plan)}\n`);
            findingsShown = true;
        },
        finished(o) {
            clearInterval(timer);
            // A run the safety net judged (health check, rollback) has its result to show first.
            const judged = o.result && (o.error instanceof HealthCheckError || o.error instanceof RollbackError);
            if (o.error && !(o.error instanceof MigrationFailedError) && !judged)
                return printError(io, o.error, opts.json);
            const result = o.result;
            if (opts.json)
                return io.out(toJson({ ...result, ...(o.backup && { backup: o.backup }), ...(o.health && { health: o.health }), ...(o.rollback && { rollback: o.rollback }) }));
            // The .sql files that are not migrations are said last, where they are not lost above the result.
            const ignored = result.plan.problems.filter((p) => p.kind === 'unmatched');
            for (const problem of result.plan.problems)
                if (problem.kind !== 'unmatched')
                    io.err(`warning: ${displayMessage(problem.message)}`);
            // What was applied carried these findings: said as plan says them, before the result.
            const findings = result.plan.findings;
            if (result.steps.length && findings.length && !findingsShown)
                say([`Safety (${findings.length} finding${findings.length > 1 ? 's' : ''}):`, ...renderFindings(findings)].join('\n'));
            if (result.error) {
                io.err(renderFailure(result.error));
                io.err(renderTally(result));
            }
            else if (result.steps.length === 0)
                io.out(result.direction === 'up' ? `Up to date${result.currentVersion ? ` at ${result.currentVersion}` : ''}: nothing to apply.` : 'Nothing to roll back.');
            else
                io.out(`${result.direction === 'up' ? 'Applied' : 'Rolled back'} ${result.steps.length} migration${result.steps.length > 1 ? 's' : ''} in ${text_formatMs(result.steps.reduce((t, s) => t + s.durationMs, 0))}; current version ${result.currentVersion ?? 'none'}.`);
            for (const problem of ignored)
                io.err(`warning: ${displayMessage(problem.message)}`);
            if (judged)
                io.err(`pgshift: ${displayMessage(o.error.message)}`);
            if (o.backup && o.error)
                io.err(`The backup taken before the run: ${displayPath(o.backup.file)}. To restore it: ${o.backup.restoreCommand}`);
        },
    };
}
/** A command that stopped before running: its reason on stderr (and as JSON on stdout with --json). */
function printError(io, err, json) {
    if (!(err instanceof PgshiftError) || err instanceof UnexpectedError)
        return io.err(`pgshift: unexpected error: ${err?.stack ?? String(err)}\nthis is a bug in pgshift: please report it with the text above.`);
    if (json)
        io.out(toJson({ error: { type: err.name, message: displayMessage(err.message), exitCode: exitCodeOf(err), problems: 'problems' in err ? err.problems : undefined } }));
    io.err(`pgshift: ${displayMessage(err.message)}`);
}
/** What a person is asked to confirm: why, the migrations in order, the destructive findings, the rows at stake. */
function renderConfirmation(c) {
    const arrow = c.plan.direction === 'up' ? '↑' : '↓';
    const out = [c.why, ...c.plan.steps.map((st, i) => `  ${i + 1}. ${arrow} ${stepLabel(st)}  ${displayPath(st.section.path)}:${st.section.startLine}`)];
    if (c.findings.length)
        out.push(`Destructive finding${c.findings.length > 1 ? 's' : ''}:`, ...renderFindings(c.findings));
    if (c.impact)
        out.push(c.impact);
    return out.join('\n');
}

;// CONCATENATED MODULE: ./src/cli/version.ts
/** Kept equal to package.json's version by a test. */
const VERSION = '0.1.0';

;// CONCATENATED MODULE: ./src/cli/main.ts
// The CLI shell: flags → a request → a command → an exit code. Every decision is the command's; this
// file only chooses what to print and the number the process leaves with.























function sessionOptions(s, io, redactor, given) {
    // --connect-timeout given: a refused connection is retried for all of it, not only a few seconds.
    return {
        dir: s.dir,
        databaseUrl: s.databaseUrl || undefined,
        schema: s.schema,
        connectTimeoutMs: s.connectTimeout,
        connectTimeoutGiven: given.has('connectTimeout'),
        lockWaitMs: s.lockWait,
        signal: io.signal,
        redactor,
    };
}
function deployRequest(args, io, redactor, direction) {
    const s = args.settings;
    const selection = { direction, target: s.target, steps: s.steps, allowMissing: s.allowMissing, allowOutOfOrder: s.allowOutOfOrder };
    const shadowUrl = s.shadowUrl || io.env.PGSHIFT_SHADOW_URL || '';
    return {
        ...sessionOptions(s, io, redactor, args.given),
        // With a shadow database, a deploy to a protected environment checks drift first (as the action does).
        drift: shadowUrl && (s.checkDrift ?? true) ? { shadowUrl, fail: s.failOnDrift } : undefined,
        schemaFile: s.schemaFile,
        net: netSettings(s, io.env),
        environment: s.environment,
        actor: io.env.GITHUB_ACTOR || undefined,
        lockTimeoutMs: s.lockTimeout,
        statementTimeoutMs: s.statementTimeout,
        lockRetries: s.lockRetries,
        singleTransaction: s.singleTransaction,
        selection,
        lint: loadLintConfig(s.config),
        safety: { protectedEnvironments: s.protectedEnvironments, allowDestructive: s.allowDestructive, failOnLint: s.failOnLint, policy: s.policy },
        confirm: s.confirm || undefined,
        // A person at a terminal confirms what destroys, under the lock, after the plan is reviewed.
        beforeRun: io.ask && !s.yes
            ? askBeforeRun(selection, (c) => {
                io.err(renderConfirmation(c));
                return io.ask('Proceed? [y/N] ');
            }, io.signal)
            : undefined,
    };
}
/** The deploy's notification (--notify-url, else $PGSHIFT_NOTIFY_URL), when there is a webhook. */
function notification(args, io, redactor) {
    const s = args.settings;
    const fromEnv = !args.given.has('notifyUrl') && io.env.PGSHIFT_NOTIFY_URL;
    const url = fromEnv ? SETTINGS.notifyUrl.parse(fromEnv, 'PGSHIFT_NOTIFY_URL') : s.notifyUrl;
    if (!url)
        return undefined;
    // The whole URL is the webhook's secret (Slack and Discord put the key in the path): never printed.
    redactor.add(url);
    const env = io.env;
    // In a CI run (GitHub Actions' variables), the notification links to it.
    const runUrl = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
    const context = {
        repository: env.GITHUB_REPOSITORY || undefined,
        runUrl,
        actor: env.GITHUB_ACTOR || defaultActor(),
        commit: env.GITHUB_SHA || undefined,
        database: s.databaseUrl ? databaseNameOf(s.databaseUrl) : undefined,
    };
    return notifySink({
        url,
        format: s.notifyFormat,
        on: s.notifyOn,
        context,
        redactor,
        version: VERSION,
        warn: (m) => io.err(`warning: ${m}`),
        info: (m) => io.err(m),
    });
}
/** What an outcome leaves the process with. */
function exitCodeOfOutcome(o) {
    if (o.error)
        return exitCodeOf(o.error);
    return ExitCode.ok;
}
async function runCommand(args, io, redactor) {
    const s = args.settings;
    const progress = terminalSink(io, { json: s.json, verbose: s.verbose });
    switch (args.command) {
        case 'help':
            // A bare `pgshift` is a usage error: the help goes where errors go.
            if (args.bare) {
                io.err(HELP);
                return ExitCode.usage;
            }
            io.out(args.topic ? commandHelp(args.topic) : HELP);
            return ExitCode.ok;
        case 'version':
            io.out(VERSION);
            return ExitCode.ok;
        case 'new': {
            const name = args.positionals.join('_');
            if (!name)
                throw new ConfigError('pgshift new needs a name: pgshift new add_users_email');
            const path = newMigration(s.dir, name);
            io.out(s.json ? toJson({ path }) : `created ${displayPath(path)}`);
            return ExitCode.ok;
        }
        case 'plan': {
            const direction = args.positionals[0] ?? 'up';
            if (direction !== 'up' && direction !== 'down')
                throw new ConfigError(`pgshift plan takes up or down, not "${direction}".`);
            // --since: git says what is applied, not the database.
            const request = { ...deployRequest(args, io, redactor, direction), baseline: s.since ? sinceBaseline(s.since, s.dir) : undefined };
            const outcome = await dryRun(request, {
                event: progress.event,
                finished: (o) => {
                    if (!o.plan)
                        return;
                    io.out(s.json ? toJson(o.plan) : renderPlan(o.plan));
                    // Findings the policy refuses here (a protected environment, fail-on-lint, additive-only).
                    if (!o.plan.blocked && o.review.refused.length)
                        io.err(`pgshift: ${displayMessage(o.error.message)}`);
                },
            });
            if (!outcome.plan)
                throw outcome.error;
            return outcome.status === 'refused' ? ExitCode.validation : ExitCode.ok;
        }
        case 'lint': {
            const lintIo = { json: s.json, config: s.config, out: io.out, err: io.err };
            const paths = args.positionals.length ? args.positionals : [s.dir];
            if (s.since)
                return runLint(paths, lintIo, sinceBaseline(s.since, paths[0]));
            // With a database, what matters is what the next deploy would run: the pending migrations.
            if (args.positionals.length || !s.databaseUrl)
                return runLint(paths, lintIo);
            loadLintConfig(s.config); // a bad config fails before connecting
            const p = await plan({ ...sessionOptions(s, io, redactor, args.given), onEvent: progress.event, lint: false }, { direction: 'up', target: s.target, steps: s.steps, allowMissing: s.allowMissing, allowOutOfOrder: s.allowOutOfOrder });
            const pending = pendingPaths(p);
            // The .sql files of the directory that are not migrations: said at the end, as by every command.
            const ignored = p.problems.filter((x) => x.kind === 'unmatched').map((x) => x.message);
            if (p.problems.some((x) => x.kind === 'unmatched' && x.blocking))
                throw new ValidationError(`nothing to lint: ${ignored.join(' ')}`, p.problems);
            // The database is asked again for what the rules should know (a DROP ... IF EXISTS of nothing is no finding).
            const facts = databaseFacts(sessionOptions(s, io, redactor, args.given));
            return pending.length ? runLint(pending, lintIo, undefined, ignored, facts) : printFindings([], lintIo, [], ignored);
        }
        case 'status': {
            const report = await status_status({ ...sessionOptions(s, io, redactor, args.given), onEvent: progress.event });
            if (s.json)
                io.out(toJson(report));
            else {
                io.out(renderStatus(report.entries));
                if (report.problems.length)
                    io.out('\n' + renderProblems(report.problems));
            }
            // A directory where nothing is a migration is refused (3), never a status of nothing.
            const unreadable = report.problems.find((p) => p.kind === 'unmatched' && p.blocking);
            if (unreadable) {
                if (!s.json)
                    io.err(`pgshift: ${displayMessage(unreadable.message)}`);
                return ExitCode.validation;
            }
            // An applied history that changed turns the check red (3) before anything pending does (1).
            const changed = changedHistory(report.entries);
            if (s.exitCode && changed.length) {
                if (!s.json)
                    io.err(`pgshift: the applied history changed: ${changed.map((e) => `${e.version} ${e.state}`).join(', ')}. Settle each as the problems above say.`);
                return ExitCode.validation;
            }
            // A repeatable migration whose file changed is due, as a pending one is.
            return s.exitCode && report.entries.some((e) => e.state === 'pending' || e.state === 'outdated') ? 1 : ExitCode.ok;
        }
        case 'up':
        case 'down': {
            const notify = notification(args, io, redactor);
            const outcome = await deploy_deploy(deployRequest(args, io, redactor, args.command), notify ? fanOut(progress, notify) : fanOut(progress));
            return exitCodeOfOutcome(outcome);
        }
        case 'history': {
            if (args.positionals.length)
                throw new ConfigError(`history takes no arguments (got "${args.positionals[0]}"): pgshift history --version <version> shows one version's rows.`);
            const report = await historyReport({
                ...sessionOptions(s, io, redactor, args.given),
                onEvent: progress.event,
                // The environment's default (development) is no filter: only a given --env is.
                environment: args.given.has('environment') ? s.environment : undefined,
                version: s.historyVersion,
                limit: s.historyLimit,
            });
            if (s.json)
                io.out(toJson(report.entries));
            else if (!report.exists)
                io.out(`no history yet: ${report.table} does not exist (the first pgshift up, down, resolve, repair, adopt or baseline creates it).`);
            else if (!report.entries.length)
                io.out(`no history rows${historyFilters(args)}.`);
            else {
                io.out(renderHistory(report.entries));
                const n = report.entries.length;
                io.out(report.more ? `\nthe newest ${n} rows${historyFilters(args)}; --limit <n> shows more.` : `\n${n} row${n === 1 ? '' : 's'}${historyFilters(args)}.`);
            }
            return ExitCode.ok;
        }
        case 'resolve': {
            const version = args.positionals[0];
            const as = s.resolveApplied ? 'applied' : s.resolveRolledBack ? 'rolled-back' : undefined;
            if (!version || !as)
                throw new ConfigError('usage: pgshift resolve <version> --applied|--rolled-back');
            const row = await resolve({ ...sessionOptions(s, io, redactor, args.given), onEvent: progress.event, environment: s.environment, actor: io.env.GITHUB_ACTOR || undefined }, version, as);
            io.out(s.json ? toJson({ version: row.version, resolvedAs: as }) : `resolved ${row.version} ${row.name} as ${as}.`);
            return ExitCode.ok;
        }
        case 'adopt':
        case 'baseline':
            return runRecording(args, io, redactor, progress.event);
        case 'verify':
        case 'dump':
        case 'drift':
            return runShadowed(args, io, redactor, progress.event);
        case 'repair': {
            if (s.repairAll && args.positionals.length)
                throw new ConfigError('pass either versions or --all to repair, not both.');
            const ask = io.ask;
            const report = await repair({
                ...sessionOptions(s, io, redactor, args.given),
                onEvent: progress.event,
                environment: s.environment,
                actor: io.env.GITHUB_ACTOR || undefined,
                reason: s.repairReason,
                yes: s.yes,
                // Only a person at a terminal is asked, after the list.
                ask: ask &&
                    ((c) => {
                        io.err(`${c.length === 1 ? '1 applied migration changed after it ran' : `${c.length} applied migrations changed after they ran`}:\n${displayMessage(listCandidates(c))}`);
                        return ask(`repair ${c.length === 1 ? 'it' : `these ${c.length}`}? [y/N] `);
                    }),
            }, s.repairAll ? 'all' : args.positionals);
            io.out(s.json ? toJson(report) : displayMessage(describeRepair(report, s.repairReason.trim()).join('\n')));
            return ExitCode.ok;
        }
    }
}
/** " for --env staging and --version 3": the filters a history was read with. */
function historyFilters(args) {
    const s = args.settings;
    const filters = [...(args.given.has('environment') ? [`--env ${s.environment}`] : []), ...(s.historyVersion ? [`--version ${s.historyVersion}`] : [])];
    return filters.length ? ` for ${filters.join(' and ')}` : '';
}
/** adopt and baseline: the request from the flags; what they did, as text or JSON. */
async function runRecording(args, io, redactor, onEvent) {
    const s = args.settings;
    const common = { ...sessionOptions(s, io, redactor, args.given), onEvent, environment: s.environment, actor: io.env.GITHUB_ACTOR || undefined, dryRun: s.dryRun };
    if (args.command === 'adopt') {
        if (!s.adoptFrom)
            throw new ConfigError('adopt needs the tool to take over from: pgshift adopt --from <tool> (dbmate, golang-migrate, goose, sql-migrate, flyway, node-pg-migrate, prisma or supabase).');
        if (args.positionals.length)
            throw new ConfigError(`adopt takes no arguments (got "${args.positionals[0]}"): pgshift adopt --from <tool>.`);
        const report = await adopt({ ...common, from: s.adoptFrom, allowMissing: s.allowMissing });
        io.out(s.json ? toJson(report) : displayMessage(describeAdopt(report).join('\n')));
        return ExitCode.ok;
    }
    if (args.positionals.length > 1)
        throw new ConfigError('baseline takes one version: pgshift baseline <version>.');
    const report = await baselineAt({ ...common, shadowUrl: s.shadowUrl || io.env.PGSHIFT_SHADOW_URL || undefined }, args.positionals[0] ?? '');
    io.out(s.json ? toJson(report) : displayMessage(describeBaseline(report).join('\n')));
    return ExitCode.ok;
}
/** verify, dump and drift: the schema model, on the target or on a shadow database. */
async function runShadowed(args, io, redactor, onEvent) {
    const s = args.settings;
    if (args.positionals.length)
        throw new ConfigError(`${args.command} takes no arguments (got "${args.positionals[0]}").`);
    const o = { ...sessionOptions(s, io, redactor, args.given), onEvent, shadowUrl: s.shadowUrl || io.env.PGSHIFT_SHADOW_URL || undefined, includeOwners: s.includeOwners };
    if (args.command === 'verify') {
        const proof = await verify({ ...o, onVerdict: s.json ? undefined : (v) => io.out(verdictLine(v)) });
        const bad = failedVerdicts(proof, s.allowNoDown);
        if (s.json)
            io.out(toJson(proof));
        else {
            if (proof.targetMajor !== undefined && proof.targetMajor !== proof.shadowMajor)
                io.err(`warning: ${majorNote(proof.shadowMajor, proof.targetMajor)}`);
            io.out(`${proof.verdicts.length - bad.length} of ${proof.verdicts.length} migration${proof.verdicts.length === 1 ? '' : 's'} verified${bad.length ? `; ${bad.length} not` : ''}.`);
        }
        return bad.length ? 1 : ExitCode.ok;
    }
    if (args.command === 'dump') {
        const model = s.fromMigrations ? (await migrationsModel(o)).model : await targetModel(o);
        const text = render(model);
        if (s.out) {
            (0,external_node_fs_.writeFileSync)(s.out, text);
            io.err(`wrote ${s.out} (${text.length} bytes${s.fromMigrations ? ', the schema the migrations produce' : ''})`);
        }
        else
            io.out(text.trimEnd());
        return ExitCode.ok;
    }
    const report = await drift(o);
    if (s.json)
        io.out(toJson(report));
    else {
        if (report.targetMajor !== report.shadowMajor)
            io.err(`warning: ${majorNote(report.shadowMajor, report.targetMajor)}`);
        io.out(report.differences.length
            ? `Drift: the database differs from what its applied migrations${report.at ? ` (up to ${report.at})` : ''} produce:\n${report.differences.map((d) => `  - ${describeDifference(d, EXPECTED_ACTUAL)}`).join('\n')}`
            : `No drift: the database matches what its applied migrations${report.at ? ` (up to ${report.at})` : ''} produce.`);
    }
    return report.differences.length ? 1 : ExitCode.ok;
}
async function main(argv, io) {
    const redactor = new Redactor();
    const safe = (f) => (t) => f(redactor.redact(t));
    const sio = { ...io, out: safe(io.out), err: safe(io.err) };
    let args;
    try {
        args = parseCli(argv, io.env);
        // .env (or --env-file) under the real environment, for the commands that connect.
        const env = SETTINGS.envFile.commands.includes(args.command) ? withEnvFile(io.env, args.settings.envFile, io.cwd ?? process.cwd()) : io.env;
        if (!args.given.has('databaseUrl'))
            args.settings.databaseUrl = env.DATABASE_URL || '';
        args.settings.databaseUrl = connectionUrl(args.settings.databaseUrl, env, redactor, (m) => sio.err(`warning: ${m}`));
        return await runCommand(args, { ...sio, env }, redactor);
    }
    catch (err) {
        printError(sio, err, !!args?.settings.json);
        return exitCodeOf(err);
    }
}

;// CONCATENATED MODULE: ./src/cli/index.ts
// Entry of the `pgshift` binary: wires the process (argv, streams, signals, exit code) to main().



const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
        // First signal: stop what runs (a connection attempt, the wait for the lock, or the running
        // statement, rolled back), unlock. A second one exits at once. Which of those it was is only known
        // where it stops: the final line says it ("interrupted while connecting …; nothing ran").
        if (++interrupts > 1)
            process.exit(130);
        process.stderr.write(`\npgshift: ${sig} received: stopping (send it again to exit at once)…\n`);
        controller.abort();
    });
}
// No command may end with exit 0 and no result line: if main() has not settled when Node runs out of
// work (a promise that can never settle), that is a failure, said in words.
let settled = false;
const unsettled = () => {
    if (settled)
        return;
    settled = true;
    (0,external_node_fs_.writeSync)(2, 'pgshift: the command stopped before it finished, with no result: nothing more can be known here. Run "pgshift status" to see what the database holds. (This is a bug: please report it.)\n');
    process.exitCode = 1;
};
process.on('beforeExit', unsettled);
process.on('exit', (code) => {
    if (code === 0)
        unsettled();
});
/**
 * A yes/no question on the terminal: only "y" or "yes" is a yes; anything else, the end of input or a
 * signal is a no. The line is read as the terminal delivers it (Ctrl-C stays a signal).
 */
function ask(question) {
    return new Promise((resolve) => {
        const rl = (0,external_node_readline_namespaceObject.createInterface)({ input: process.stdin, terminal: false });
        let answered = false;
        const answer = (yes) => {
            if (answered)
                return;
            answered = true;
            controller.signal.removeEventListener('abort', no);
            rl.close();
            // Nothing else reads stdin: let the process end when the run does.
            process.stdin.pause();
            resolve(yes);
        };
        const no = () => answer(false);
        controller.signal.addEventListener('abort', no);
        rl.once('line', (line) => answer(/^\s*y(es)?\s*$/i.test(line)));
        rl.once('close', no);
        process.stderr.write(question);
    });
}
main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t + '\n'),
    err: (t) => process.stderr.write(t + '\n'),
    env: process.env,
    signal: controller.signal,
    cwd: process.cwd(),
    // Only a person at a terminal is asked; in CI (no TTY) nothing ever is.
    ask: process.stdin.isTTY && process.stdout.isTTY ? ask : undefined,
}).then((code) => {
    settled = true;
    process.exitCode = controller.signal.aborted && code === 0 ? 130 : code;
    // Interrupted: main() has rolled back, recorded and unlocked. A connection attempt it abandoned
    // (a host that never answers) can keep the event loop alive until its connect_timeout; don't wait.
    if (controller.signal.aborted)
        setTimeout(() => process.exit(), 250).unref();
}, (err) => {
    settled = true;
    process.stderr.write(`pgshift: ${String(err)}\n`);
    process.exitCode = 1;
});

module.exports = __webpack_exports__;
/******/ })()
;