// Text as typed on Japanese keyboards and printed on notices: full-width letters, digits and
// spaces folded to their half-width forms before anything compares or stores them.

const FULL_WIDTH = /[\uFF01-\uFF5E\u3000]/;

/** Full-width digits and letters to half-width (citizens type on Japanese keyboards). */
export function toHalfWidth(value: string): string {
  if (!FULL_WIDTH.test(value)) return value;
  return value.replace(/[\uFF01-\uFF5E]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}
