# One customer-managed key for the trail (log files in S3) and the alert topic -- or the caller's own key
# (create_kms_key = false, kms_key_arn): then its policy must hold the statements in the
# `kms_key_policy_json` output.
#
# No `kms:*`: the account root gets the administrative actions (so the key can never become unmanageable);
# CloudTrail gets AWS's standard statements, including decryption of log files by the account's own principals
# (responders, `tripline scan s3://`, Athena, `aws cloudtrail validate-logs`) -- they still need an IAM policy
# allowing kms:Decrypt, see `trail_reader_policy_json`.

locals {
  kms_key_arn = var.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn
  # CloudTrail's encryption context names the trail that wrote the object: any trail of this account (an
  # organisation trail belongs to the management account that applies this module).
  cloudtrail_context_arns = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
}

data "aws_iam_policy_document" "kms" {
  statement {
    sid    = "KeyAdministrationByAccount"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:CreateGrant",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:RetireGrant",
      "kms:RevokeGrant",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    # In a key policy "*" means "this key".
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.enable_cloudtrail ? [1] : []
    content {
      sid    = "AllowCloudTrailToEncryptLogs"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }
      actions   = ["kms:GenerateDataKey*"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [local.trail_arn]
      }
      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:cloudtrail:arn"
        values   = local.cloudtrail_context_arns
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_cloudtrail ? [1] : []
    content {
      sid    = "AllowCloudTrailToDescribeKey"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }
      actions   = ["kms:DescribeKey"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [local.trail_arn]
      }
    }
  }

  # AWS's standard statement: principals of this account whose IAM policies allow it may decrypt log files.
  dynamic "statement" {
    for_each = var.enable_cloudtrail ? [1] : []
    content {
      sid    = "AllowPrincipalsInTheAccountToDecryptLogFiles"
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
      actions   = ["kms:Decrypt", "kms:ReEncryptFrom"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:cloudtrail:arn"
        values   = local.cloudtrail_context_arns
      }
    }
  }

  # The same for principals of other accounts, e.g. a security tooling account's responders.
  dynamic "statement" {
    for_each = var.enable_cloudtrail && length(var.trail_reader_account_ids) > 0 ? [1] : []
    content {
      sid    = "AllowOtherAccountsToDecryptLogFiles"
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = [for a in var.trail_reader_account_ids : "arn:${local.partition}:iam::${a}:root"]
      }
      actions   = ["kms:Decrypt", "kms:ReEncryptFrom"]
      resources = ["*"]
      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:cloudtrail:arn"
        values   = local.cloudtrail_context_arns
      }
    }
  }

  # CloudWatch alarms publish to the encrypted topic.
  dynamic "statement" {
    for_each = var.enable_alarms ? [1] : []
    content {
      sid    = "CloudWatchAlarmsPublishToTopic"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  # The function decrypts trail log files (through S3) and publishes to the encrypted topic (through SNS).
  statement {
    sid    = "TriplineFunction"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values = [
        "s3.${local.region}.${local.dns_suffix}",
        "sns.${local.region}.${local.dns_suffix}",
      ]
    }
  }
}

resource "aws_kms_key" "this" {
  count = var.create_kms_key ? 1 : 0

  description             = "Tripline ${var.environment}: CloudTrail logs and alert topic"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  count = var.create_kms_key ? 1 : 0

  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this[0].key_id
}

check "kms_key_given" {
  assert {
    condition     = var.create_kms_key || var.kms_key_arn != ""
    error_message = "create_kms_key = false needs kms_key_arn (a key whose policy holds the kms_key_policy_json statements)."
  }
}

# What a reader of the trail's log files needs: attach to the responders' role (trail_reader_role_names does it).
data "aws_iam_policy_document" "trail_reader" {
  count = local.trail_bucket_name != "" ? 1 : 0

  statement {
    sid       = "ListTrailBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.trail_bucket_arn]
  }
  statement {
    sid       = "ReadLogAndDigestFiles"
    actions   = ["s3:GetObject"]
    resources = ["${local.trail_bucket_arn}/${local.key_prefix_path}AWSLogs/*"]
  }
  dynamic "statement" {
    for_each = local.trail_kms_key_arn != "" ? [1] : []
    content {
      sid       = "DecryptLogFiles"
      actions   = ["kms:Decrypt"]
      resources = [local.trail_kms_key_arn]
    }
  }
}

resource "aws_iam_role_policy" "trail_reader" {
  for_each = toset(var.trail_reader_role_names)

  name   = "${local.name}-trail-reader"
  role   = each.value
  policy = data.aws_iam_policy_document.trail_reader[0].json
}
