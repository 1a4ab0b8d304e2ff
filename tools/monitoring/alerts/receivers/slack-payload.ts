// Slack incoming-webhook payload: `text` (the title, also the notification fallback) and `blocks`:
// a header, sections of alert lines packed up to Slack's 3,000-character section limit, and a
// context line with the next repeat. Alerts that do not fit into the block budget are left out and
// counted in a closing section, so the message never reaches Slack with a section it rejects (400
// invalid_blocks).
import type { Notification, ReceiverConfig } from '../alert-types.js';
import { alertLine, nextRepeatLine, notificationTitle } from './notification-text.js';
import { runeLength, truncateRunes, truncateUnits } from './text-limits.js';

export const slackLimits = {
  /** Slack rejects a section whose text exceeds this (counted here in UTF-16 units, the stricter). */
  sectionChars: 3000,
  /** Alertmanager truncates Slack titles to this many runes. */
  titleRunes: 1024,
  /** Slack's header block plain_text limit. */
  headerChars: 150,
  /** Slack's limit of blocks in one message. */
  blocks: 50,
} as const;

export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
}
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'context'; elements: SlackText[] };

export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
  channel?: string;
}

export interface SlackBuild {
  payload: SlackPayload;
  /** Alerts not shown because the block budget ran out. */
  alertsLeftOut: number;
  /** Alert lines cut at the section limit. */
  linesTruncated: number;
}

/** Slack's mrkdwn control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

export function buildSlackPayload(n: Notification, config: ReceiverConfig['slack'][number]): SlackBuild {
  const title = truncateRunes(config.title ?? notificationTitle(n), slackLimits.titleRunes).text;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncateUnits(title, slackLimits.headerChars).text } },
  ];
  if (config.text) blocks.push(section(truncateUnits(escapeSlack(config.text), slackLimits.sectionChars).text));
  // Room for sections: the budget less the header, the optional text, the repeat line and a left-out note.
  const sectionBudget = slackLimits.blocks - blocks.length - 2;
  let current = '';
  let sections = 0;
  let shown = 0;
  let linesTruncated = 0;
  for (const { status, alert } of n.alerts) {
    const cut = truncateUnits(escapeSlack(alertLine(status, alert)), slackLimits.sectionChars);
    if (cut.truncated) linesTruncated++;
    const joined = current ? `${current}\n${cut.text}` : cut.text;
    if (joined.length <= slackLimits.sectionChars) {
      current = joined;
      shown++;
      continue;
    }
    if (sections + 1 >= sectionBudget) break;
    blocks.push(section(current));
    sections++;
    current = cut.text;
    shown++;
  }
  if (current) blocks.push(section(current));
  const alertsLeftOut = n.alerts.length - shown;
  if (alertsLeftOut > 0)
    blocks.push(
      section(`… ${alertsLeftOut} more alert${alertsLeftOut === 1 ? '' : 's'} left out (message size limit)`),
    );
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(nextRepeatLine(n)) }] });
  const payload: SlackPayload = { text: `${title} (${nextRepeatLine(n)})`, blocks };
  if (runeLength(payload.text) > slackLimits.titleRunes) payload.text = title;
  if (config.channel) payload.channel = config.channel;
  return { payload, alertsLeftOut, linesTruncated };
}

/** What in a payload Slack would reject; empty when it is within the limits. Checked before every send. */
export function slackPayloadProblems(payload: SlackPayload): string[] {
  const problems: string[] = [];
  if (payload.blocks.length > slackLimits.blocks)
    problems.push(`${payload.blocks.length} blocks; Slack allows ${slackLimits.blocks}`);
  payload.blocks.forEach((block, index) => {
    if (block.type === 'section' && block.text.text.length > slackLimits.sectionChars)
      problems.push(`block ${index}: section text of ${block.text.text.length} characters; the limit is 3000`);
    if (block.type === 'header' && block.text.text.length > slackLimits.headerChars)
      problems.push(`block ${index}: header of ${block.text.text.length} characters; the limit is 150`);
  });
  if (runeLength(payload.text) > slackLimits.titleRunes)
    problems.push(`text of ${runeLength(payload.text)} runes; the limit is ${slackLimits.titleRunes}`);
  return problems;
}
