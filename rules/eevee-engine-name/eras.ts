// BGS017's Blender eras: which EEVEE identifier each range of versions has, which of them an add-on's
// supported range covers, and the Python that names the right identifier for exactly that range.
import { formatRange, includesBefore, includesFrom, type TargetRange, type Version } from '../../src/versions.js';

export const EEVEE = 'BLENDER_EEVEE';
export const EEVEE_NEXT = 'BLENDER_EEVEE_NEXT';
export type EngineName = typeof EEVEE | typeof EEVEE_NEXT;

interface Era {
  from: Version;
  /** The first version of the next era; null: open. */
  until: Version | null;
  name: EngineName;
  /** The versions in words, for messages. */
  words: string;
  /** What was measured there. */
  measured: string;
}

/** 4.2 renamed EEVEE's identifier to BLENDER_EEVEE_NEXT (release notes, 4.2 Python API, "Render Settings");
 *  5.0 renamed it back. Measured: 3.4.1 and 5.2.2 know only BLENDER_EEVEE, 4.3.2 only BLENDER_EEVEE_NEXT. */
const ERAS: readonly Era[] = [
  { from: [2, 80], until: [4, 2], name: EEVEE, words: 'before 4.2', measured: '3.4.1' },
  { from: [4, 2], until: [5, 0], name: EEVEE_NEXT, words: '4.2 to 4.5', measured: '4.3.2' },
  { from: [5, 0], until: null, name: EEVEE, words: '5.0 and later', measured: '5.2.2' },
];

export function otherName(name: EngineName): EngineName {
  return name === EEVEE ? EEVEE_NEXT : EEVEE;
}

/** The eras the range reaches into, oldest first. */
function coveredEras(target: TargetRange): Era[] {
  return ERAS.filter((e) => includesFrom(target, e.from) && (e.until === null || includesBefore(target, e.until)));
}

/** What the range needs: one name for all of it, or both (it spans eras that differ). */
export function neededNames(target: TargetRange): EngineName[] {
  return [...new Set(coveredEras(target).map((e) => e.name))];
}

/** The supported versions where `name` is not EEVEE's identifier, in words ("4.2 to 4.5 (measured in 4.3.2)"),
 *  or null where it is right everywhere. */
export function whereWrong(target: TargetRange, name: EngineName): string | null {
  const wrong = coveredEras(target).filter((e) => e.name !== name);
  if (wrong.length === 0) return null;
  return `Blender ${wrong.map((e) => e.words).join(' and ')} (measured in ${wrong.map((e) => e.measured).join(' and ')})`;
}

export function rangeWords(target: TargetRange): string {
  return formatRange(target);
}

/** A Python expression with the right identifier in every supported version, quoted with `q`: the one name
 *  where the range agrees, else `'BLENDER_EEVEE_NEXT' if <the 4.2–4.5 test> else 'BLENDER_EEVEE'`, the test
 *  naming only the bounds the range crosses. */
export function engineExpression(target: TargetRange, q: string): string {
  const names = neededNames(target);
  if (names.length === 1) return `${q}${names[0]}${q}`;
  const eras = coveredEras(target);
  const older = eras[0].name === EEVEE;
  const newer = eras[eras.length - 1].name === EEVEE;
  const test = older && newer
    ? '(4, 2, 0) <= bpy.app.version < (5, 0, 0)'
    : older ? 'bpy.app.version >= (4, 2, 0)' : 'bpy.app.version < (5, 0, 0)';
  return `${q}${EEVEE_NEXT}${q} if ${test} else ${q}${EEVEE}${q}`;
}
