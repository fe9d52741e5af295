// The staff menu grouped by task, as the header of every console page and the home page show it:
// only the items the user may use, no empty group, and the place the request is at marked.
import { MENU_GROUPS, type MenuGroup, type StaffMenuItem } from '../feature.js';
import { can, type StaffPrincipal } from '../../policies/index.js';

export interface MenuEntry {
  href: string;
  labelKey: string;
  current: boolean;
}

export interface MenuSection {
  group: MenuGroup;
  entries: MenuEntry[];
  /** The current place is one of this group's entries. */
  current: boolean;
}

/** The item whose href is the longest prefix (at a path boundary) of the request path. */
function currentHref(items: StaffMenuItem[], path: string): string | undefined {
  const matches = items.filter((item) => path === item.href || path.startsWith(`${item.href}/`));
  return matches.sort((a, b) => b.href.length - a.href.length)[0]?.href;
}

export function groupedMenu(items: StaffMenuItem[], user: StaffPrincipal | null | undefined, path: string): MenuSection[] {
  const usable = items.filter((item) => can(user, item.action));
  const current = currentHref(usable, path);
  return MENU_GROUPS.map((group) => {
    const entries = usable.filter((item) => item.group === group).map((item) => ({ href: item.href, labelKey: item.labelKey, current: item.href === current }));
    return { group, entries, current: entries.some((entry) => entry.current) };
  }).filter((section) => section.entries.length > 0);
}
