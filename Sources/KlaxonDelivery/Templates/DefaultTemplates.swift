import Foundation

/// The templates carried inside the binary. `Templates/` in the repository holds copies of
/// these to edit (a test keeps the two equal).
public enum DefaultTemplates {
    public static let all: [String: String] = [
        "page.slack": pageSlack,
        "page.email": pageEmail,
        "escalation-exhausted.slack": exhaustedSlack,
        "escalation-exhausted.email": exhaustedEmail,
    ]

    public static let pageSlack = #"""
{
  "text": "[{{incident.severity}}] {{incident.id}} {{incident.title}}",
  "blocks": [
    {"type": "header", "text": {"type": "plain_text", "text": "[{{incident.severity}}] {{incident.id}} {{incident.title_short}}"}},
    {"type": "section", "fields": [
      {"type": "mrkdwn", "text": "*Severity*\n{{incident.severity}} ({{incident.severity_label}})"},
      {"type": "mrkdwn", "text": "*Status*\n{{incident.status}}"},
      {"type": "mrkdwn", "text": "*Team*\n{{incident.team}}"},
      {"type": "mrkdwn", "text": "*Category*\n{{incident.category}}"}
    ]},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Alerts*{{#alerts}}\n• {{summary}}{{#links}} <{{href}}|{{text}}>{{/links}}{{/alerts}}"}},
{{#playbook}}
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Playbook: {{title}}*{{#first_triage}}\n{{number}}. {{text}}{{/first_triage}}"}},
{{/playbook}}
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Paged: {{#oncall}}{{name}}{{^last}}, {{/last}}{{/oncall}}{{^oncall}}nobody{{/oncall}} · Opened {{incident.opened_at_local}} · <{{incident.url}}|Open in Klaxon>"}]},
{{#incident.is_triggered}}
    {"type": "actions", "block_id": "incident-actions", "elements": [
      {"type": "button", "action_id": "incident.ack", "style": "primary", "text": {"type": "plain_text", "text": "Acknowledge"}, "value": "{{incident.id}}"},
      {"type": "button", "action_id": "incident.resolve", "text": {"type": "plain_text", "text": "Resolve"}, "value": "{{incident.id}}"},
      {"type": "button", "action_id": "incident.escalate", "style": "danger", "text": {"type": "plain_text", "text": "Escalate"}, "value": "{{incident.id}}"}
    ]}
{{/incident.is_triggered}}
{{^incident.is_triggered}}
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "{{incident.status_line}}"}]}
{{/incident.is_triggered}}
  ]
}
"""#

    public static let pageEmail = #"""
Subject: [{{incident.severity}}] {{incident.id}} {{incident.title}}

{{incident.id}} is {{incident.status}}: {{incident.title}}

Severity: {{incident.severity}} ({{incident.severity_label}})
Team:     {{incident.team}}
Category: {{incident.category}}
Opened:   {{incident.opened_at_local}}

Alerts:
{{#alerts}}
- {{summary}}
{{#links}}
  {{text}}: {{href}}
{{/links}}
{{/alerts}}
{{#playbook}}

Playbook: {{title}}
{{#first_triage}}
{{number}}. {{text}}
{{/first_triage}}
{{/playbook}}

Paged: {{#oncall}}{{name}}{{^last}}, {{/last}}{{/oncall}}
Acknowledge in Slack with /incident ack {{incident.id}}, or open {{incident.url}}
"""#

    public static let exhaustedSlack = #"""
{
  "text": "[{{incident.severity}}] {{incident.id}} escalation exhausted: nobody acknowledged",
  "blocks": [
    {"type": "section", "text": {"type": "mrkdwn", "text": ":rotating_light: *{{incident.id}} escalation exhausted*: every step was paged and nobody acknowledged.\n[{{incident.severity}}] {{incident.title}} (team {{incident.team}})\n<{{incident.url}}|Open in Klaxon>"}}
  ]
}
"""#

    public static let exhaustedEmail = #"""
Subject: [{{incident.severity}}] {{incident.id}} escalation exhausted

Every escalation step for {{incident.id}} was paged and nobody acknowledged.

[{{incident.severity}}] {{incident.title}}
Team: {{incident.team}}
{{incident.url}}
"""#
}
