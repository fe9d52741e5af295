// Text put into HTML written outside the EJS views (mails, the erasure certificate, manuals).

/** The text with & < > " ' as character references, safe in element content and quoted attributes. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
