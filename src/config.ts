// Every environment variable the app reads, validated once at start-up. See .env.example.
import { z } from 'zod';
import { DEFAULT_NOTICE_ID_PATTERN, noticeIdPatternProblem } from './lib/notice-id.js';

const booleanFlag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => ['true', '1', 'yes'].includes(value));

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'postgres:// で始まる URL を指定してください');

const secret = z.string().min(32, '32 文字以上のランダムな文字列を指定してください');

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Public base URL used in emails and printed at start-up, e.g. https://yoyaku.example.lg.jp */
  PUBLIC_BASE_URL: z.string().url().optional(),
  /** When unset, `npm start` runs an embedded PostgreSQL under EMBEDDED_PG_DIR. */
  DATABASE_URL: postgresUrl.optional(),
  EMBEDDED_PG_DIR: z.string().default('.data/postgres'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Signs staff session cookies and keys the encrypted citizen cookie (HKDF). Required in production; generated and kept under .data/ otherwise. */
  SESSION_SECRET: secret.optional(),
  /** Key for HMAC of birth dates (the citizen password). Required in production. */
  BIRTH_DATE_PEPPER: secret.optional(),
  /** Set to true when the app is served over TLS (directly or behind a proxy). */
  COOKIE_SECURE: booleanFlag.default(false),
  /** Express "trust proxy" setting: number of proxies in front of the app, or false. */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  STAFF_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(480).default(30),
  CITIZEN_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(120).default(15),
  /** How long a chosen time is held for a citizen while they confirm. */
  HOLD_MINUTES: z.coerce.number().int().min(1).max(60).default(10),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(24).default(8),
  /** The call center citizens are told to call (every citizen page's footer). */
  CALL_CENTER_PHONE: z
    .string()
    .regex(/^0\d{1,4}-?\d{1,4}-?\d{3,4}$/, '電話番号を数字とハイフンで指定してください (例: 0120-123-456)')
    .default('0120-000-000'),
  CALL_CENTER_HOURS: z.string().max(100, '100 文字以内で指定してください').default('平日 8:30〜17:15(土日祝日・年末年始を除く)'),
  /** smtp://user:pass@host:port. When unset, mails are kept in the outbox and shown in the console. */
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().default('マイナンバーカード交付予約 <no-reply@example.lg.jp>'),
  /** Japan time (HH:MM) of the day-before reminder run; it repeats until midnight for late bookings. */
  REMINDER_TIME: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (日本時間) で指定してください')
    .default('10:00'),
  /** Seconds between outbox polls of the mail sender. */
  OUTBOX_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  /** On-call addresses for alerts, comma-separated. */
  ALERT_EMAILS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.email('メールアドレスをカンマ区切りで指定してください'))),
  /** Optional URL that receives every alert as a JSON POST (e.g. a phone-call service). */
  ALERT_WEBHOOK_URL: z.string().url().optional(),
  /**
   * Seconds a stopping process keeps serving while /readyz says no, so the load balancer moves
   * new requests elsewhere before it stops listening (5 in production when unset, else 0).
   */
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().int().min(0).max(120).optional(),
  /** Bearer token Prometheus sends to read /metrics; unset, /metrics does not exist (404). */
  METRICS_TOKEN: secret.optional(),
  /** Minutes between repeats of an alert nobody has acknowledged. */
  ALERT_REPEAT_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  /** An outbox mail still unsent after this many minutes raises an alert. */
  OUTBOX_BACKLOG_ALERT_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  /** Alert when the embedded database's disk is fuller than this percentage. */
  DISK_ALERT_PERCENT: z.coerce.number().int().min(1).max(100).default(90),
  /**
   * Embedded PostgreSQL only: WAL is archived into BACKUP_DIR/archive and a base backup taken daily
   * at BACKUP_TIME into BACKUP_DIR/base, keeping BACKUP_KEEP of them (docs/operations.md).
   */
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_TIME: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (日本時間) で指定してください')
    .default('02:30'),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(365).default(7),
  /** Run the mail sender, scheduled jobs and monitors in this process (false for web-only replicas). */
  BACKGROUND_WORK: booleanFlag.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO_DATA: booleanFlag.default(true),
  /** Largest J-LIS import file accepted, in bytes; larger uploads are refused before parsing. */
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(200 * 1024 * 1024),
  /** The notice ID as the city prints it (letters, digits, '-', [0-9], \d, {m,n}); see src/lib/notice-id.ts. */
  NOTICE_ID_PATTERN: z
    .string()
    .default(DEFAULT_NOTICE_ID_PATTERN)
    .superRefine((value, context) => {
      const problem = noticeIdPatternProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  /**
   * What a person booking without a notice ID gives to say who they are (docs/decisions/0016):
   * kana-birth: name in kana and birth date; phone: name in kana and phone number.
   */
  APPLICANT_IDENTITY: z.enum(['kana-birth', 'phone']).default('kana-birth'),
  /** Where uploaded import files wait (keyed by batch) between preview and commit. */
  IMPORT_DIR: z.string().default('.data/imports'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses the environment; throws a ConfigError that names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`環境変数の設定に誤りがあります (invalid environment variables):\n${lines.join('\n')}`);
  }
  const config = result.data;
  if (config.NODE_ENV === 'production') {
    const missing = (['DATABASE_URL', 'SESSION_SECRET', 'BIRTH_DATE_PEPPER', 'PUBLIC_BASE_URL'] as const).filter((name) => !config[name]);
    if (missing.length > 0) {
      throw new ConfigError(`本番環境では次の環境変数が必要です (required in production):\n${missing.map((name) => `  ${name}`).join('\n')}`);
    }
  }
  return config;
}
