# Applied in the log-archive account that owns an existing CloudTrail bucket (typically the organisation's), so
# that a Tripline deployed in another account can ingest its log files:
#   - the bucket's ObjectCreated notification to Tripline's ingest queue (that queue admits this account when the
#     home module sets existing_trail_bucket_account_id), one prefix per account when `account_ids` is given so
#     digest files are never announced;
#   - the bucket policy and key policy statements Tripline's function role needs, as JSON to merge into the
#     policies this account already manages (a bucket has one policy; replacing it from here would drop
#     CloudTrail's own statements).
#
# The notification REPLACES the bucket's notification configuration: fold existing ones into `extra_queues`.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0, < 6.0.0"
    }
  }
}

data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  bucket_arn = "arn:${local.partition}:s3:::${var.bucket_name}"
  key_prefix = var.trail_s3_key_prefix == "" ? "" : "${var.trail_s3_key_prefix}/"
  # Log files only: AWSLogs/<org-id>/<account>/CloudTrail/ per account; without the list, the organisation's
  # whole prefix (digests included: the function recognises and skips them, at one invocation per digest).
  prefixes = length(var.account_ids) > 0 ? [
    for a in var.account_ids : var.organization_id == "" ? "${local.key_prefix}AWSLogs/${a}/CloudTrail/" : "${local.key_prefix}AWSLogs/${var.organization_id}/${a}/CloudTrail/"
  ] : [var.organization_id == "" ? "${local.key_prefix}AWSLogs/" : "${local.key_prefix}AWSLogs/${var.organization_id}/"]
}

resource "aws_s3_bucket_notification" "tripline" {
  bucket = var.bucket_name

  dynamic "queue" {
    for_each = local.prefixes
    content {
      id            = "tripline-${queue.key}"
      queue_arn     = var.tripline_queue_arn
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = queue.value
      filter_suffix = ".json.gz"
    }
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid    = "TriplineReadsLogFiles"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = [var.tripline_role_arn]
    }
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/${local.key_prefix}AWSLogs/*"]
  }
}

data "aws_iam_policy_document" "key" {
  statement {
    sid    = "TriplineDecryptsLogFiles"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = [var.tripline_role_arn]
    }
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:cloudtrail:arn"
      values   = ["arn:${local.partition}:cloudtrail:*:*:trail/*"]
    }
  }
}
