-- CreateTable
CREATE TABLE "order_views" (
    "generation" INTEGER NOT NULL,
    "order_id" UUID NOT NULL,
    "customer_id" TEXT,
    "status" TEXT,
    "doc" JSONB NOT NULL,
    "last_event_at" TIMESTAMPTZ(3) NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_views_pkey" PRIMARY KEY ("generation","order_id")
);

-- CreateTable
CREATE TABLE "projection_positions" (
    "generation" INTEGER NOT NULL,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,

    CONSTRAINT "projection_positions_pkey" PRIMARY KEY ("generation","topic","partition")
);

-- CreateTable
CREATE TABLE "projection_generations" (
    "generation" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "switched_at" TIMESTAMPTZ(3),

    CONSTRAINT "projection_generations_pkey" PRIMARY KEY ("generation")
);

-- CreateIndex
CREATE INDEX "order_views_generation_customer_id_order_id_idx" ON "order_views"("generation", "customer_id", "order_id");

-- CreateIndex
CREATE INDEX "order_views_generation_status_order_id_idx" ON "order_views"("generation", "status", "order_id");

-- the first generation is live from the start
INSERT INTO "projection_generations" ("generation", "status", "switched_at") VALUES (1, 'live', CURRENT_TIMESTAMP);
-- at most one live generation
CREATE UNIQUE INDEX "projection_generations_one_live" ON "projection_generations" ("status") WHERE "status" = 'live';
