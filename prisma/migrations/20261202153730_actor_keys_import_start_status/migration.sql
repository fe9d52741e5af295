-- AlterTable
ALTER TABLE "import_profiles" ADD COLUMN     "start_status" "card_status" NOT NULL DEFAULT 'data_received';

-- One stored actor format everywhere: 'staff:<id>', 'citizen:<cardHolderId>', 'system:<job>'
-- (src/features/staff/actors.ts). Older rows kept a bare staff id, 'job:<name>' or a login ID.
UPDATE "card_status_changes" SET "actor" = 'staff:' || "actor" WHERE "actor" ~ '^[0-9]+$';
UPDATE "card_status_changes" SET "actor" = 'system:' || substr("actor", 5) WHERE "actor" LIKE 'job:%';
UPDATE "import_batches" SET "uploaded_by" = 'staff:' || "uploaded_by" WHERE "uploaded_by" ~ '^[0-9]+$';
UPDATE "import_batches" SET "committed_by" = 'staff:' || "committed_by" WHERE "committed_by" ~ '^[0-9]+$';
UPDATE "alerts" a SET "acknowledged_by" = 'staff:' || s."id" FROM "staff_users" s
 WHERE a."acknowledged_via" = 'console' AND a."acknowledged_by" = 'staff:' || s."login_id";
UPDATE "alerts" SET "acknowledged_by" = 'system:mail:' || "acknowledged_by"
 WHERE "acknowledged_via" = 'mail' AND "acknowledged_by" NOT LIKE 'system:%';

-- System reasons in a card's history are stored as translation keys (cards.reason.*).
UPDATE "card_status_changes" SET "reason" = CASE "reason"
    WHEN 'booking' THEN 'cards.reason.booked'
    WHEN 'booking cancelled' THEN 'cards.reason.bookingCancelled'
    WHEN 'removed from family booking' THEN 'cards.reason.familyRemoved'
    WHEN 'booking check_in' THEN 'cards.reason.check_in'
    WHEN 'booking hand_over' THEN 'cards.reason.hand_over'
    WHEN 'booking no_show' THEN 'cards.reason.no_show'
    WHEN '手入力で登録' THEN 'cards.history.quickAdded' END
 WHERE "reason" IN ('booking', 'booking cancelled', 'removed from family booking', 'booking check_in', 'booking hand_over', 'booking no_show', '手入力で登録');
