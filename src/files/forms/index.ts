// The file forms pgshift knows, in order. The order is the precedence: discovery gives a file to the
// first form that claims its name (pair before dbmate: "1_a.up.sql" is a dbmate name too), and a form
// that declines a file's text hands it to the next one (dbmate to plain). Adding a form is a file in
// this folder and a line here.
import { dbmate } from './dbmate';
import { flyway } from './flyway';
import type { Form, NamedFile } from './form';
import { goose } from './goose';
import { nodePgMigrate } from './node-pg-migrate';
import { pair } from './pair';
import { plain } from './plain';
import { prisma } from './prisma';
import { sqlMigrate } from './sql-migrate';

export type { DownFile, Form, FormSections, NamedDown, NamedFile, NamedRepeatable, NamedUp, NoTransactionHeader } from './form';

// goose, sql-migrate and node-pg-migrate share dbmate's names and come between dbmate and plain: each
// declines a text without its markers, and plain, last, takes a file with none.
/** Mutable only so that a test can register a form of its own for its duration. */
export const FORMS: Form[] = [pair, flyway, prisma, dbmate, goose, sqlMigrate, nodePgMigrate, plain];

/** Named first in the hint for a file no form claims: its names are the ones `pgshift new` writes. */
export const DEFAULT_FORM = 'dbmate';

export function formById(id: string): Form {
  const form = FORMS.find((f) => f.id === id);
  if (!form) throw new Error(`internal: no file form "${id}" is registered`);
  return form;
}

/** The first form that claims the file name, with what the name says. */
export function claimName(fileName: string): { form: Form; named: NamedFile } | undefined {
  for (const form of FORMS) {
    const named = form.claims(fileName);
    if (named) return { form, named };
  }
  return undefined;
}

/** The form whose names a form's files carry: its own id, or the one it shares names with. */
export function familyOf(form: Form): string {
  return form.readsNamesOf ?? form.id;
}

/** The tool a form comes from, as messages name it. */
export function toolOf(form: Form): string {
  return form.tool ?? form.id;
}

/** The first marker of each form that has one in the text, in registry order. */
export function markersIn(text: string): { form: Form; line: number; text: string }[] {
  const out: { form: Form; line: number; text: string }[] = [];
  for (const form of FORMS) {
    const m = form.marker?.(text);
    if (m) out.push({ form, ...m });
  }
  return out;
}

/** For a .sql name no form claims: the form that claims the file from its text, if any. */
export function claimText(fileName: string, text: () => string): { form: Form; named: NamedFile } | undefined {
  for (const form of FORMS) {
    const named = form.peek?.(fileName, text);
    if (named) return { form, named };
  }
  return undefined;
}
