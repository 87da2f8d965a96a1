# Findings / dedup store. Single-table layout:
#   pk (S), sk (S)        -- item identity (e.g. pk = "FINDING#<fingerprint>", sk = "V1")
#   gsi1pk (S), gsi1sk (S) -- listing by time (e.g. gsi1pk = "FINDINGS#<yyyy-mm-dd>", gsi1sk = "<iso time>#<id>")
#   expires_at (N)        -- epoch seconds; DynamoDB deletes the item after it (TTL)

resource "aws_dynamodb_table" "findings" {
  name         = "${local.name}-findings"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  deletion_protection_enabled = var.dynamodb_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  attribute {
    name = "gsi1pk"
    type = "S"
  }
  attribute {
    name = "gsi1sk"
    type = "S"
  }

  global_secondary_index {
    name            = "gsi1"
    hash_key        = "gsi1pk"
    range_key       = "gsi1sk"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # Encrypted at rest with the AWS managed key (aws/dynamodb): no key policy to maintain, no per-request KMS cost.
  server_side_encryption {
    enabled = true
  }

  tags = local.tags
}
