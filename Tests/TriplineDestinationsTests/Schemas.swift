/// JSON Schemas written from each service's documented payload (required fields, types, enumerations,
/// limits), checked by an independent validator (Python jsonschema) against what our formats produce.
enum Schemas {
    /// Slack Block Kit message for an incoming webhook (api.slack.com/reference/block-kit/blocks and
    /// /composition-objects): at most 50 blocks; header plain_text ≤ 150; section text ≤ 3000; ≤ 10 fields of
    /// ≤ 2000; context ≤ 10 elements; button text ≤ 75, url ≤ 3000, action_id ≤ 255.
    static let slack = #"""
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "type": "object", "required": ["blocks", "text"], "additionalProperties": false,
      "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 40000},
        "blocks": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"$ref": "#/$defs/block"}},
        "unfurl_links": {"type": "boolean"}, "unfurl_media": {"type": "boolean"}
      },
      "$defs": {
        "plain": {"type": "object", "required": ["type", "text"], "additionalProperties": false,
          "properties": {"type": {"const": "plain_text"}, "text": {"type": "string", "minLength": 1}, "emoji": {"type": "boolean"}}},
        "mrkdwn": {"type": "object", "required": ["type", "text"], "additionalProperties": false,
          "properties": {"type": {"const": "mrkdwn"}, "text": {"type": "string", "minLength": 1}, "verbatim": {"type": "boolean"}}},
        "textObject": {"oneOf": [{"$ref": "#/$defs/plain"}, {"$ref": "#/$defs/mrkdwn"}]},
        "block": {"oneOf": [
          {"type": "object", "required": ["type", "text"], "additionalProperties": false,
           "properties": {"type": {"const": "header"}, "block_id": {"type": "string", "maxLength": 255},
             "text": {"allOf": [{"$ref": "#/$defs/plain"}, {"properties": {"text": {"maxLength": 150}}}]}}},
          {"type": "object", "required": ["type"], "additionalProperties": false,
           "anyOf": [{"required": ["text"]}, {"required": ["fields"]}],
           "properties": {"type": {"const": "section"}, "block_id": {"type": "string", "maxLength": 255},
             "text": {"allOf": [{"$ref": "#/$defs/textObject"}, {"properties": {"text": {"maxLength": 3000}}}]},
             "fields": {"type": "array", "minItems": 1, "maxItems": 10,
               "items": {"allOf": [{"$ref": "#/$defs/textObject"}, {"properties": {"text": {"maxLength": 2000}}}]}}}},
          {"type": "object", "required": ["type", "elements"], "additionalProperties": false,
           "properties": {"type": {"const": "actions"}, "block_id": {"type": "string", "maxLength": 255},
             "elements": {"type": "array", "minItems": 1, "maxItems": 25, "items": {
               "type": "object", "required": ["type", "text"], "additionalProperties": false,
               "properties": {"type": {"const": "button"}, "action_id": {"type": "string", "maxLength": 255},
                 "text": {"allOf": [{"$ref": "#/$defs/plain"}, {"properties": {"text": {"maxLength": 75}}}]},
                 "url": {"type": "string", "maxLength": 3000, "pattern": "^https://"},
                 "value": {"type": "string", "maxLength": 2000}, "style": {"enum": ["primary", "danger"]}}}}}},
          {"type": "object", "required": ["type", "elements"], "additionalProperties": false,
           "properties": {"type": {"const": "context"}, "block_id": {"type": "string", "maxLength": 255},
             "elements": {"type": "array", "minItems": 1, "maxItems": 10, "items": {"$ref": "#/$defs/textObject"}}}},
          {"type": "object", "required": ["type"], "additionalProperties": false,
           "properties": {"type": {"const": "divider"}, "block_id": {"type": "string"}}}
        ]}
      }
    }
    """#

    /// Teams Workflows webhook message with one Adaptive Card (adaptivecards.io schema 1.4, the elements we use).
    static let teams = #"""
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "type": "object", "required": ["type", "attachments"], "additionalProperties": false,
      "properties": {
        "type": {"const": "message"},
        "attachments": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
          "type": "object", "required": ["contentType", "content"], "additionalProperties": false,
          "properties": {"contentType": {"const": "application/vnd.microsoft.card.adaptive"},
            "contentUrl": {"type": ["null", "string"]}, "content": {"$ref": "#/$defs/card"}}}}
      },
      "$defs": {
        "card": {"type": "object", "required": ["type", "version", "body"], "additionalProperties": false,
          "properties": {"$schema": {"type": "string"}, "type": {"const": "AdaptiveCard"},
            "version": {"enum": ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"]},
            "msteams": {"type": "object", "properties": {"width": {"enum": ["Full"]}}},
            "body": {"type": "array", "minItems": 1, "items": {"oneOf": [{"$ref": "#/$defs/textBlock"}, {"$ref": "#/$defs/factSet"}]}},
            "actions": {"type": "array", "items": {"$ref": "#/$defs/openUrl"}}}},
        "textBlock": {"type": "object", "required": ["type", "text"], "additionalProperties": false,
          "properties": {"type": {"const": "TextBlock"}, "text": {"type": "string"}, "wrap": {"type": "boolean"},
            "size": {"enum": ["Default", "Small", "Medium", "Large", "ExtraLarge"]},
            "weight": {"enum": ["Default", "Lighter", "Bolder"]},
            "color": {"enum": ["Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"]},
            "isSubtle": {"type": "boolean"}}},
        "factSet": {"type": "object", "required": ["type", "facts"], "additionalProperties": false,
          "properties": {"type": {"const": "FactSet"}, "facts": {"type": "array", "items": {
            "type": "object", "required": ["title", "value"], "additionalProperties": false,
            "properties": {"title": {"type": "string"}, "value": {"type": "string"}}}}}},
        "openUrl": {"type": "object", "required": ["type", "url"], "additionalProperties": false,
          "properties": {"type": {"const": "Action.OpenUrl"}, "title": {"type": "string"}, "url": {"type": "string", "pattern": "^https://"}}}
      }
    }
    """#

    /// PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event"): summary ≤ 1024, dedup_key ≤ 255,
    /// severity enumeration, timestamp ISO 8601; a resolve carries the dedup key and no payload.
    static let pagerDuty = #"""
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "type": "object", "required": ["routing_key", "event_action"], "additionalProperties": false,
      "properties": {
        "routing_key": {"type": "string", "minLength": 1},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "minLength": 1, "maxLength": 255},
        "payload": {"type": "object", "required": ["summary", "source", "severity"], "additionalProperties": false,
          "properties": {
            "summary": {"type": "string", "minLength": 1, "maxLength": 1024},
            "source": {"type": "string", "minLength": 1, "maxLength": 255},
            "severity": {"enum": ["critical", "error", "warning", "info"]},
            "timestamp": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$"},
            "component": {"type": "string"}, "group": {"type": "string"}, "class": {"type": "string"},
            "custom_details": {"type": "object"}}},
        "links": {"type": "array", "items": {"type": "object", "required": ["href"], "additionalProperties": false,
          "properties": {"href": {"type": "string", "pattern": "^https://"}, "text": {"type": "string"}}}},
        "images": {"type": "array"},
        "client": {"type": "string"}, "client_url": {"type": "string"}
      },
      "if": {"properties": {"event_action": {"const": "trigger"}}},
      "then": {"required": ["payload"]},
      "else": {"required": ["dedup_key"], "not": {"required": ["payload"]}}
    }
    """#

    /// ASFF for BatchImportFindings (docs: "Required top-level ASFF attributes", AwsSecurityFinding): the required
    /// attributes, their types and documented lengths, Severity.Label, Types as namespace/category, Resources.
    static let asff = #"""
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "type": "object",
      "required": ["SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt", "UpdatedAt",
                   "Severity", "Title", "Description", "Resources"],
      "properties": {
        "SchemaVersion": {"const": "2018-10-08"},
        "Id": {"type": "string", "minLength": 1, "maxLength": 512},
        "ProductArn": {"type": "string", "pattern": "^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:\\d{12}:product/\\d{12}/default$"},
        "GeneratorId": {"type": "string", "minLength": 1, "maxLength": 512},
        "AwsAccountId": {"type": "string", "pattern": "^\\d{12}$"},
        "Region": {"type": "string"},
        "Types": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "string",
          "pattern": "^(Software and Configuration Checks|TTPs|Effects|Unusual Behaviors|Sensitive Data Identifications)(/[^/]+){1,2}$"}},
        "FirstObservedAt": {"$ref": "#/$defs/time"}, "LastObservedAt": {"$ref": "#/$defs/time"},
        "CreatedAt": {"$ref": "#/$defs/time"}, "UpdatedAt": {"$ref": "#/$defs/time"},
        "Severity": {"type": "object", "required": ["Label"],
          "properties": {"Label": {"enum": ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]}, "Original": {"type": "string"}}},
        "Title": {"type": "string", "minLength": 1, "maxLength": 256},
        "Description": {"type": "string", "minLength": 1, "maxLength": 1024},
        "Remediation": {"type": "object", "properties": {"Recommendation": {"type": "object",
          "properties": {"Text": {"type": "string", "maxLength": 512}, "Url": {"type": "string"}}}}},
        "SourceUrl": {"type": "string", "pattern": "^https://"},
        "ProductFields": {"type": "object", "maxProperties": 50,
          "propertyNames": {"maxLength": 128}, "additionalProperties": {"type": "string", "maxLength": 2048}},
        "Resources": {"type": "array", "minItems": 1, "maxItems": 32, "items": {"type": "object", "required": ["Type", "Id"],
          "properties": {"Type": {"type": "string", "minLength": 1}, "Id": {"type": "string", "minLength": 1, "maxLength": 512},
            "Partition": {"enum": ["aws", "aws-cn", "aws-us-gov"]}, "Region": {"type": "string"}}}},
        "Workflow": {"type": "object", "properties": {"Status": {"enum": ["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"]}}},
        "RecordState": {"enum": ["ACTIVE", "ARCHIVED"]},
        "Action": {"type": "object", "required": ["ActionType"], "properties": {
          "ActionType": {"enum": ["NETWORK_CONNECTION", "AWS_API_CALL", "DNS_REQUEST", "PORT_PROBE"]},
          "AwsApiCallAction": {"type": "object"}}}
      },
      "$defs": {"time": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$"}}
    }
    """#
}
