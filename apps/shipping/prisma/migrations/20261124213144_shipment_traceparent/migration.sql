-- AlterTable
ALTER TABLE "shipments" ADD COLUMN     "traceparent" TEXT;
