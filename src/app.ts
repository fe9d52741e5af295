// Builds the Express app without listening, so tests drive it in-process (src/server.ts listens).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import type { AppContext } from './context.js';
import { projectRoot } from './db/paths.js';
import { bookingFeature } from './features/booking/routes.js';
import { cardsFeature } from './features/cards/index.js';
import { consoleFeature } from './features/console/index.js';
import { citizenRoutes } from './features/citizen/routes.js';
import { notifyFeature } from './features/notify/routes.js';
import { incidentsFeature } from './features/incidents/routes.js';
import { staffRoutes } from './features/staff/routes.js';
import type { Feature } from './features/feature.js';
import { scheduleFeature } from './features/schedule/routes.js';
import { StatusBoard } from './features/status/board.js';
import { publicStatusRoutes, statusFeature } from './features/status/routes.js';
import { helpFeature } from './features/help/routes.js';
import { inquiriesFeature } from './features/inquiries/routes.js';
import { faqFeature } from './features/faq/routes.js';
import { retentionFeature } from './features/retention/routes.js';
import { forecastFeature } from './features/reports/forecast/routes.js';
import { reportsFeature } from './features/reports/routes.js';
import { FloorLive } from './features/floor/live.js';
import { floorFeature, publicFloorRoutes } from './features/floor/routes.js';
import { createMetrics, metricsRoutes } from './features/status/metrics.js';
import { csrfProtection, exposeCsrfToken } from './web/csrf.js';
import { errorHandler, notFound } from './web/errors.js';
import { formBodies } from './web/forms.js';
import { closeWhileDraining, healthRoutes, type Draining } from './web/health.js';
import { loadLocales } from './lib/i18n.js';
import { defaultLocale, localeMiddleware } from './web/locale.js';
import { requestLogging } from './web/logging.js';
import { securityHeaders } from './web/security-headers.js';
import { sessions } from './web/sessions.js';
import { configureViews } from './web/views.js';
import { noticeIdIsNumeric, useNoticeIdPattern } from './lib/notice-id.js';

/** Feature folders that contribute pages; each owns its routes, services and views. */
function features(context: AppContext, statusBoard: StatusBoard): Feature[] {
  return [
    scheduleFeature(context),
    bookingFeature(context),
    cardsFeature(context),
    notifyFeature(context),
    consoleFeature(context),
    statusFeature(context, statusBoard),
    helpFeature(context),
    floorFeature(context),
    retentionFeature(context),
    incidentsFeature(context),
    inquiriesFeature(context),
    faqFeature(context),
    reportsFeature(context),
    forecastFeature(context),
  ];
}

/**
 * public/ files, looked up only for paths under its top-level entries (/css/, /js/, ...), so
 * pages do not cost a file-system lookup each.
 */
function staticFiles(root: string, production: boolean): express.RequestHandler {
  const serve = express.static(root, { index: false, maxAge: production ? '1d' : 0 });
  const entries = readdirSync(root, { withFileTypes: true }).map((entry) => `/${entry.name}${entry.isDirectory() ? '/' : ''}`);
  return (req, res, next) => (entries.some((entry) => (entry.endsWith('/') ? req.path.startsWith(entry) : req.path === entry)) ? serve(req, res, next) : next());
}

export function createApp(context: AppContext, options: { draining?: Draining } = {}): express.Express {
  const { config, db, secrets, logger } = context;
  const app = express();
  app.disable('x-powered-by');
  // Pages are dynamic and mostly no-store: hashing every body for an ETag buys nothing
  // (public/ files keep theirs from express.static).
  app.set('etag', false);
  useNoticeIdPattern(config.NOTICE_ID_PATTERN);
  app.locals.noticeIdInputMode = noticeIdIsNumeric() ? 'numeric' : 'text';
  app.set('trust proxy', config.TRUST_PROXY);
  // Templates compiled once (EJS's cache) and view paths looked up once (Express's), from the
  // validated config rather than Express's own reading of process.env.NODE_ENV.
  app.locals.cache = config.NODE_ENV === 'production';
  app.set('view cache', app.locals.cache);
  app.locals.callCenter = { phone: config.CALL_CENTER_PHONE, hours: config.CALL_CENTER_HOURS };
  configureViews(app);

  const locales = loadLocales();
  // Counted only where Prometheus reads them: without a token, no request pays for metrics.
  const metrics = config.METRICS_TOKEN ? createMetrics(db) : null;
  if (metrics) app.use(metrics.requests);
  app.use(requestLogging(logger));
  app.use(defaultLocale(locales));
  app.use(securityHeaders({ tls: config.COOKIE_SECURE }));
  const draining = options.draining ?? (() => false);
  app.use(closeWhileDraining(draining));
  app.use(healthRoutes(db.pool, draining));
  if (metrics) app.use(metricsRoutes(metrics, config.METRICS_TOKEN!));
  app.use(staticFiles(path.join(projectRoot, 'public'), config.NODE_ENV === 'production'));
  // After the files (a stylesheet needs no language), before every page, the status page included.
  app.use(localeMiddleware(locales, { secure: config.COOKIE_SECURE }));
  const statusBoard = new StatusBoard(db);
  app.use(publicStatusRoutes(statusBoard));
  app.use(publicFloorRoutes(context, new FloorLive(db, draining)));

  app.use(formBodies());
  app.use(express.json({ limit: '100kb' }));
  app.use(
    sessions({
      pool: db.pool,
      secret: secrets.sessionSecret,
      secure: config.COOKIE_SECURE,
      idleMinutes: config.STAFF_SESSION_IDLE_MINUTES,
      citizenIdleMinutes: config.CITIZEN_SESSION_IDLE_MINUTES,
      absoluteHours: config.SESSION_ABSOLUTE_HOURS,
    }),
  );
  app.use(exposeCsrfToken);
  app.use(csrfProtection);

  const enabled = features(context, statusBoard);
  app.use('/staff', staffRoutes(context, enabled));
  app.use('/', citizenRoutes(context, enabled));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
