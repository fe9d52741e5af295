// Card logistics pages, under /staff/logistics (issue 19.1): a site's overview, shipping lists
// (printed on A4 with a barcode per card), receiving and returned letters by scanning, and
// stock counts. A barcode reader types the notice ID and Enter into the focused scan field, so
// each scan is a plain form post answered by the same page with the field focused again.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../../context.js';
import { transaction, type SqlTx } from '../../../db/transaction.js';
import { AppError } from '../../../lib/app-error.js';
import { now } from '../../../lib/clock.js';
import { parseCsvEncoding, sendCsv } from '../../../lib/csv.js';
import { formatMinutes, jstDateOf, jstMinutesOf } from '../../../lib/jst.js';
import { hasControlCharacters, parseForm, parseQuery, pathId, type FieldErrors } from '../../../lib/validation.js';
import { can, visibleCounterIds } from '../../../policies/index.js';
import { actorLabeler } from '../../staff/actors.js';
import { requirePermission, staffActor, type StaffPrincipal } from '../../staff/access.js';
import { noticeBarcode } from '../pull-list.js';
import { CARD_REASONS, reasonText } from '../status.js';
import { countScanForm, destinationForm, receiveForm, returnForm, siteQuery } from './forms.js';
import { incomingShipments, receiveScan, type ReceiveAnswer } from './receiving.js';
import { markReturned, RETURN_REASONS, returnedCards, type ReturnAnswer } from './returns.js';
import { createShipment, discardShipment, finishShipment, shipShipment, showShipment, siteOverview } from './shipments.js';
import { countScan, countsOfSite, finishCount, showCount, startCount, type CountAnswer } from './stock-count.js';
import { authorizeSite, cancelTransfer, requestTransfer } from './transfers.js';

const workers = requirePermission('logistics.work');
const user = (res: Response): StaffPrincipal => res.locals.staffUser!;
const when = (value: Date | null) => (value ? `${jstDateOf(value)} ${formatMinutes(jstMinutesOf(value))}` : '');

export function logisticsRoutes({ db }: AppContext): Router {
  const router = Router();
  const asStaff = <T>(req: Request, res: Response, work: (tx: SqlTx) => Promise<T>) => transaction(db, staffActor(req, res), work, { models: false });
  const page = (res: Response, view: string, titleKey: string, locals: Record<string, unknown>, status = 200) =>
    res.status(status).render(`logistics/${view}`, { title: res.locals.t(titleKey), layout: 'layouts/staff', when, ...locals });
  const sites = (res: Response) => {
    const ids = visibleCounterIds(user(res));
    return db.prisma.counter.findMany({
      where: { retiredAt: null, ...(ids ? { id: { in: ids } } : {}) },
      orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }],
      select: { id: true, name: true },
    });
  };
  /** The site in the path, which the clerk must work at. */
  const siteOf = async (req: Request, res: Response) => {
    const siteId = pathId(req.params.id);
    authorizeSite(user(res), siteId);
    const site = await db.prisma.counter.findUnique({ where: { id: siteId }, select: { id: true, name: true } });
    if (!site) throw new AppError(404, 'counter_not_found', 'schedule.counter.notFound');
    return site;
  };
  /** A refusal the clerk can act on (400, 404, 409) shown on the page; anything else goes to the error page. */
  const shown = (error: unknown): string => {
    if (error instanceof AppError && error.status < 500 && error.status !== 403) return error.messageKey;
    throw error;
  };

  router.get('/logistics', workers, async (req, res) => {
    const mine = await sites(res);
    const siteId = parseQuery(siteQuery, req.query).counterId ?? mine[0]?.id;
    if (siteId !== undefined) authorizeSite(user(res), siteId);
    const overview = siteId === undefined ? null : await asStaff(req, res, (tx) => siteOverview(tx, siteId));
    page(res, 'index', 'logistics.index.title', { sites: mine, siteId, overview, done: typeof req.query.done === 'string' ? req.query.done : '' });
  });

  router.post('/logistics/sites/:id/shipments', workers, async (req, res) => {
    const site = await siteOf(req, res);
    const { to } = parseQuery(destinationForm, req.body);
    const shipmentId = await asStaff(req, res, (tx) => createShipment(tx, { fromCounterId: site.id, toCounterId: to, by: user(res) }));
    res.redirect(303, `/staff/logistics/shipments/${shipmentId}`);
  });

  const shipmentPage = async (req: Request, res: Response, problem = '', status = 200) => {
    const shipmentId = pathId(req.params.id);
    const { shipment, cards } = await asStaff(req, res, (tx) => showShipment(tx, shipmentId, user(res)));
    const actorLabel = await actorLabeler(db.prisma, [shipment.createdBy, shipment.shippedBy, shipment.closedBy, ...cards.map((card) => card.receivedBy)], res.locals.t);
    const listed = cards.filter((card) => card.status !== 'cancelled');
    page(
      res,
      'shipment',
      'logistics.shipment.title',
      {
        shipment,
        listed,
        takenOff: cards.filter((card) => card.status === 'cancelled'),
        missing: shipment.status === 'closed' ? cards.filter((card) => card.status === 'shipped') : [],
        atSource: can(user(res), 'logistics.work', shipment.fromCounterId),
        atDestination: can(user(res), 'logistics.work', shipment.toCounterId),
        actorLabel,
        noticeBarcode,
        problem,
        done: typeof req.query.done === 'string' ? req.query.done : '',
        scripts: ['/js/floor-print.js'],
      },
      status,
    );
  };
  router.get('/logistics/shipments/:id', workers, (req, res) => shipmentPage(req, res));

  const SHIPMENT_STEPS = { ship: shipShipment, discard: discardShipment, finish: finishShipment };
  const shipmentStep = (step: keyof typeof SHIPMENT_STEPS) => async (req: Request, res: Response) => {
    const shipmentId = pathId(req.params.id);
    const by = user(res);
    try {
      await asStaff(req, res, async (tx) => {
        await SHIPMENT_STEPS[step](tx, { shipmentId, by });
      });
    } catch (error) {
      return shipmentPage(req, res, shown(error), (error as AppError).status);
    }
    res.redirect(303, `/staff/logistics/shipments/${shipmentId}?done=${step}`);
  };
  router.post('/logistics/shipments/:id/ship', workers, shipmentStep('ship'));
  router.post('/logistics/shipments/:id/discard', workers, shipmentStep('discard'));
  router.post('/logistics/shipments/:id/finish', workers, shipmentStep('finish'));

  const receivePage = async (req: Request, res: Response, locals: { answer?: ReceiveAnswer; code?: string; storagePlace?: string; errors?: FieldErrors } = {}, status = 200) => {
    const site = await siteOf(req, res);
    const incoming = await asStaff(req, res, (tx) => incomingShipments(tx, site.id));
    page(res, 'receive', 'logistics.receive.title', { site, incoming, answer: null, code: '', storagePlace: '', errors: {}, ...locals }, status);
  };
  router.get('/logistics/sites/:id/receive', workers, (req, res) => receivePage(req, res));
  router.post('/logistics/sites/:id/receive', workers, async (req, res) => {
    const site = await siteOf(req, res);
    const parsed = parseForm(receiveForm, req.body);
    // Shown again in the field after a refusal, unless it is what was refused.
    const storagePlace = typeof req.body?.storagePlace === 'string' && !hasControlCharacters(req.body.storagePlace) ? req.body.storagePlace.slice(0, 100) : '';
    if (!parsed.ok) return receivePage(req, res, { errors: parsed.errors, storagePlace }, 400);
    const { code, storagePlace: place } = parsed.data;
    const answer = await asStaff(req, res, (tx) => receiveScan(tx, { siteId: site.id, noticeId: code, storagePlace: place, by: user(res) }));
    await receivePage(req, res, { answer, code, storagePlace: place });
  });

  const returnsPage = async (req: Request, res: Response, locals: { answer?: ReturnAnswer; code?: string; reason?: string; errors?: FieldErrors } = {}, status = 200) => {
    const site = await siteOf(req, res);
    const cards = await asStaff(req, res, (tx) => returnedCards(tx, site.id, user(res)));
    page(
      res,
      'returns',
      'logistics.returns.title',
      {
        site,
        cards,
        reasons: RETURN_REASONS.map((value) => ({ value, key: CARD_REASONS[value] })),
        reasonText,
        answer: null,
        code: '',
        reason: RETURN_REASONS[0],
        errors: {},
        ...locals,
      },
      status,
    );
  };
  router.get('/logistics/sites/:id/returns', workers, (req, res) => returnsPage(req, res));
  router.post('/logistics/sites/:id/returns', workers, async (req, res) => {
    const site = await siteOf(req, res);
    const parsed = parseForm(returnForm, req.body);
    if (!parsed.ok) return returnsPage(req, res, { errors: parsed.errors }, 400);
    const { code, reason } = parsed.data;
    const answer = await asStaff(req, res, (tx) => markReturned(tx, { siteId: site.id, noticeId: code, reason, by: user(res) }));
    await returnsPage(req, res, { answer, code, reason });
  });
  router.get('/logistics/sites/:id/returns.csv', workers, async (req, res) => {
    const site = await siteOf(req, res);
    const cards = await asStaff(req, res, (tx) => returnedCards(tx, site.id, user(res)));
    const t = res.locals.t;
    await sendCsv(res, {
      filename: `returned-${site.id}-${jstDateOf(now())}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: ['noticeId', 'name', 'nameKana', 'storagePlace', 'returnedAt', 'reason'].map((key) => t(`logistics.returns.column.${key}`)),
      rows: cards.map((card) => [card.noticeId, card.name, card.nameKana, card.storagePlace, when(card.returnedAt), reasonText(card.reason, t)]),
    });
  });

  router.get('/logistics/sites/:id/counts', workers, async (req, res) => {
    const site = await siteOf(req, res);
    const counts = await asStaff(req, res, (tx) => countsOfSite(tx, site.id));
    const actorLabel = await actorLabeler(
      db.prisma,
      counts.flatMap((count) => [count.startedBy, count.finishedBy]),
      res.locals.t,
    );
    page(res, 'counts', 'logistics.count.listTitle', { site, counts, actorLabel });
  });
  router.post('/logistics/sites/:id/counts', workers, async (req, res) => {
    const site = await siteOf(req, res);
    const countId = await asStaff(req, res, (tx) => startCount(tx, { siteId: site.id, by: user(res) }));
    res.redirect(303, `/staff/logistics/counts/${countId}`);
  });

  const countPage = async (req: Request, res: Response, locals: { answer?: CountAnswer; code?: string; errors?: FieldErrors; problem?: string } = {}, status = 200) => {
    const countId = pathId(req.params.id);
    const shownCount = await asStaff(req, res, (tx) => showCount(tx, countId, user(res)));
    const actorLabel = await actorLabeler(db.prisma, [shownCount.count.startedBy, shownCount.count.finishedBy], res.locals.t);
    page(res, 'count', 'logistics.count.title', { ...shownCount, actorLabel, answer: null, code: '', errors: {}, problem: '', scripts: ['/js/floor-print.js'], ...locals }, status);
  };
  router.get('/logistics/counts/:id', workers, (req, res) => countPage(req, res));
  router.post('/logistics/counts/:id/scan', workers, async (req, res) => {
    const countId = pathId(req.params.id);
    const parsed = parseForm(countScanForm, req.body);
    if (!parsed.ok) return countPage(req, res, { errors: parsed.errors }, 400);
    try {
      const answer = await asStaff(req, res, (tx) => countScan(tx, { countId, noticeId: parsed.data.code, by: user(res) }));
      await countPage(req, res, { answer, code: parsed.data.code });
    } catch (error) {
      await countPage(req, res, { problem: shown(error) }, (error as AppError).status);
    }
  });
  router.post('/logistics/counts/:id/finish', workers, async (req, res) => {
    const countId = pathId(req.params.id);
    try {
      await asStaff(req, res, (tx) => finishCount(tx, { countId, by: user(res) }));
    } catch (error) {
      return countPage(req, res, { problem: shown(error) }, (error as AppError).status);
    }
    res.redirect(303, `/staff/logistics/counts/${countId}`);
  });
  router.get('/logistics/counts/:id/findings.csv', workers, async (req, res) => {
    const countId = pathId(req.params.id);
    const { count, findings } = await asStaff(req, res, (tx) => showCount(tx, countId, user(res)));
    const t = res.locals.t;
    await sendCsv(res, {
      filename: `stock-count-${count.id}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: ['kind', 'detail', 'noticeId', 'name', 'nameKana', 'storagePlace', 'site'].map((key) => t(`logistics.count.column.${key}`)),
      rows: findings.map((f) => [
        t(`logistics.count.kind.${f.kind}`),
        f.detail ? t(`logistics.count.why.${f.detail}`) : '',
        f.noticeId,
        f.name,
        f.nameKana,
        f.storagePlace,
        f.siteName,
      ]),
    });
  });

  // A clerk asks for a card (its page has the form) or calls off their request.
  router.post('/cards/:id/transfers', workers, async (req, res) => {
    const cardHolderId = pathId(req.params.id);
    const { to } = parseQuery(destinationForm, req.body);
    await asStaff(req, res, (tx) => requestTransfer(tx, { cardHolderId, toCounterId: to, by: user(res) }));
    res.redirect(303, `/staff/cards/${cardHolderId}?transfer=requested`);
  });
  router.post('/logistics/transfers/:id/cancel', workers, async (req, res) => {
    const cardHolderId = await asStaff(req, res, (tx) => cancelTransfer(tx, { transferId: pathId(req.params.id), by: user(res) }));
    res.redirect(303, `/staff/cards/${cardHolderId}?transfer=cancelled`);
  });
  return router;
}
