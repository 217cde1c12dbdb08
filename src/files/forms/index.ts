// The file forms pgshift knows, in order. The order is the precedence: discovery gives a file to the
// first form that claims its name (pair before dbmate: "1_a.up.sql" is a dbmate name too), and a form
// that declines a file's text hands it to the next one (dbmate to plain). Adding a form is a file in
// this folder and a line here.
import { dbmate } from './dbmate';
import { flyway } from './flyway';
import type { Form, NamedFile } from './form';
import { pair } from './pair';
import { plain } from './plain';

export type { DownFile, Form, FormSections, NamedDown, NamedFile, NamedUp, NoTransactionHeader } from './form';

/** Mutable only so that a test can register a form of its own for its duration. */
export const FORMS: Form[] = [pair, flyway, dbmate, plain];

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
