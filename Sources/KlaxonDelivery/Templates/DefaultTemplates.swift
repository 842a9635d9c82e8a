import Foundation

/// The templates carried inside the binary. `Templates/` in the repository holds copies of
/// these to edit (a test keeps the two equal).
public enum DefaultTemplates {
    public static let all: [String: String] = [
        "page.slack": pageSlack,
        "page.email": pageEmail,
        "escalation-exhausted.slack": exhaustedSlack,
        "escalation-exhausted.email": exhaustedEmail,
        "executive-briefing.slack": executiveSlack,
        "executive-briefing.email": executiveEmail,
        "customer-notice.slack": customerSlack,
        "customer-notice.email": customerEmail,
        "technical-update.slack": technicalSlack,
        "technical-update.email": technicalEmail,
        "post-incident-review.md": reviewMarkdown,
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

    public static let executiveSlack = #"""
{
  "text": "[{{incident.severity}}] {{incident.id}} executive briefing: {{incident.title}} ({{incident.status}})",
  "blocks": [
    {"type": "header", "text": {"type": "plain_text", "text": "Executive briefing · {{incident.id}} · {{incident.severity}}"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*{{incident.title_short}}*\nStatus: *{{incident.status}}* for {{incident.duration}} · Team {{incident.team}} · {{incident.category}}{{#update}}\n\n*Update:* {{update}}{{/update}}"}},
    {"type": "section", "fields": [
      {"type": "mrkdwn", "text": "*Impact*\n{{incident.severity}} ({{incident.severity_label}}){{#customer_facing}}, customer-facing{{/customer_facing}}"},
      {"type": "mrkdwn", "text": "*Owner*\n{{#incident.acknowledged_by}}{{incident.acknowledged_by}}{{/incident.acknowledged_by}}{{^incident.acknowledged_by}}being paged{{/incident.acknowledged_by}}"},
      {"type": "mrkdwn", "text": "*Opened*\n{{incident.opened_at_local}}"},
      {"type": "mrkdwn", "text": "*Resolution goal*\n{{#target_mttr}}{{target_mttr}}{{/target_mttr}}{{^target_mttr}}none set{{/target_mttr}}"}
    ]},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "{{#incident.is_resolved}}Resolved {{incident.resolved_at_local}}. A post-incident review follows.{{/incident.is_resolved}}{{^incident.is_resolved}}Next briefing as the incident changes or on the briefing cadence.{{/incident.is_resolved}} <{{incident.url}}|Details>"}]}
  ]
}
"""#

    public static let executiveEmail = #"""
Subject: [{{incident.severity}}] {{incident.id}} executive briefing: {{incident.title}}

{{incident.id}} — {{incident.title}}

Status:   {{incident.status}} for {{incident.duration}}
Impact:   {{incident.severity}} ({{incident.severity_label}}){{#customer_facing}}, customer-facing{{/customer_facing}}
Team:     {{incident.team}} ({{incident.category}})
Opened:   {{incident.opened_at_local}}
{{#target_mttr}}Goal:     resolved within {{target_mttr}}
{{/target_mttr}}{{#update}}
Update from the responders:
{{update}}
{{/update}}{{#incident.is_resolved}}
Resolved {{incident.resolved_at_local}}. A post-incident review follows.
{{/incident.is_resolved}}
{{incident.url}}
"""#

    public static let customerSlack = #"""
{
  "text": "Draft customer notice for {{incident.id}} ({{incident.status}})",
  "blocks": [
    {"type": "header", "text": {"type": "plain_text", "text": "Draft customer notice · {{incident.id}}"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "{{#incident.is_resolved}}*Resolved:* the issue affecting some predictions has been fixed as of {{incident.resolved_at_local}}. We will share what happened and what we are changing.{{/incident.is_resolved}}{{^incident.is_resolved}}*Investigating:* we are seeing degraded results from one of our automated decision services since {{incident.opened_at_local}}. Our engineers are working on it and we will update this notice as we learn more.{{/incident.is_resolved}}{{#update}}\n\n{{update}}{{/update}}"}},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Review before publishing. Internal: [{{incident.severity}}] {{incident.title_short}} · <{{incident.url}}|{{incident.id}}>"}]}
  ]
}
"""#

    public static let customerEmail = #"""
Subject: Draft customer notice for {{incident.id}} ({{incident.status}})

DRAFT — review before publishing.

{{#incident.is_resolved}}Resolved: the issue affecting some predictions has been fixed as of {{incident.resolved_at_local}}. We will share what happened and what we are changing.{{/incident.is_resolved}}{{^incident.is_resolved}}Investigating: we are seeing degraded results from one of our automated decision services since {{incident.opened_at_local}}. Our engineers are working on it and we will update this notice as we learn more.{{/incident.is_resolved}}
{{#update}}

{{update}}
{{/update}}

Internal reference: [{{incident.severity}}] {{incident.id}} {{incident.title}}
"""#

    public static let technicalSlack = #"""
{
  "text": "[{{incident.severity}}] {{incident.id}} {{event}}: {{incident.title}}",
  "blocks": [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*[{{incident.severity}}] {{incident.id}} {{event}}* · {{incident.title_short}}\nStatus *{{incident.status}}* · team {{incident.team}} · {{incident.category}}{{#incident.playbook}} · playbook {{incident.playbook}}{{/incident.playbook}}{{#update}}\n> {{update}}{{/update}}"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Alerts*{{#alerts}}\n• {{status}}: {{summary}}{{#links}} <{{href}}|{{text}}>{{/links}}{{/alerts}}"}},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Open {{incident.duration}} · <{{incident.url}}|Timeline>"}]}
  ]
}
"""#

    public static let technicalEmail = #"""
Subject: [{{incident.severity}}] {{incident.id}} {{event}}: {{incident.title}}

{{incident.id}} {{event}} — status {{incident.status}}, open {{incident.duration}}
Team {{incident.team}}, {{incident.category}}{{#incident.playbook}}, playbook {{incident.playbook}}{{/incident.playbook}}
{{#update}}

{{update}}
{{/update}}

Alerts:
{{#alerts}}
- {{status}}: {{summary}}
{{/alerts}}

Timeline:
{{#timeline}}
{{at_local}}  {{message}}
{{/timeline}}

{{incident.url}}
"""#

    public static let reviewMarkdown = #"""
# Post-incident review: {{incident.id}} {{incident.title}}

- Severity: {{incident.severity}} ({{incident.severity_label}}), category {{incident.category}}
- Team: {{incident.team}}{{#incident.playbook}}, playbook {{incident.playbook}}{{/incident.playbook}}
- Opened {{incident.opened_at_local}}, acknowledged {{incident.acknowledged_at}}, resolved {{incident.resolved_at}} ({{incident.duration}})

## Timeline

{{#timeline}}
- {{at_local}} — {{message}}
{{/timeline}}

## Impact

## Root cause

## What went well

## What we change (owner, due date)
"""#
}
