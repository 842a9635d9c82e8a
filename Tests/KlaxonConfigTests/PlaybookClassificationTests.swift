import Foundation
import Testing
import KlaxonCore
import KlaxonTestSupport
@testable import KlaxonConfig

/// The shipped playbooks, classified: an alert that must match each, one that must not, and the
/// severity boundaries of the P0–P4 definitions.
struct PlaybookClassificationTests {
    static let config: Configuration = {
        try! ConfigLoader(environment: [:]).load(configPath: repositoryRoot.path + "/klaxon.yaml").get()
    }()

    struct Case: Sendable, CustomStringConvertible {
        var labels: [String: String]
        var annotations: [String: String] = [:]
        var values: [String: Double] = [:]
        var playbook: String?
        var severity: Severity
        var description: String { "\(labels["alertname"] ?? labels["source"] ?? "?") \(annotations) \(values) -> \(playbook ?? "none") \(severity)" }
    }

    static let cases: [Case] = [
        // model-serving-outage
        Case(labels: ["alertname": "ModelServingDown", "env": "prod"], playbook: "model-serving-outage", severity: .p0),
        Case(labels: ["alertname": "ModelServingHighErrorRate", "env": "prod"], annotations: ["error_ratio": "0.11"], playbook: "model-serving-outage", severity: .p1),
        Case(labels: ["alertname": "ModelServingHighErrorRate", "env": "prod"], annotations: ["error_ratio": "0.05"], playbook: "model-serving-outage", severity: .p2),
        Case(labels: ["alertname": "ModelServingHighLatency", "env": "staging"], playbook: "model-serving-outage", severity: .p3),
        // model-accuracy-degradation: more than 50% in production is P0; exactly 50% is not.
        Case(labels: ["alertname": "ModelAccuracyDrop", "env": "prod", "customer_facing": "true"], annotations: ["accuracy_drop": "0.62"], playbook: "model-accuracy-degradation", severity: .p0),
        Case(labels: ["alertname": "ModelAccuracyDrop", "env": "prod"], annotations: ["accuracy_drop": "0.51"], playbook: "model-accuracy-degradation", severity: .p0),
        Case(labels: ["alertname": "ModelAccuracyDrop", "env": "prod"], annotations: ["accuracy_drop": "0.50"], playbook: "model-accuracy-degradation", severity: .p1),
        Case(labels: ["alertname": "ModelAccuracyDrop", "env": "prod"], annotations: ["accuracy_drop": "0.05"], playbook: "model-accuracy-degradation", severity: .p3),
        Case(labels: ["alertname": "ModelAccuracyDrop", "env": "staging"], annotations: ["accuracy_drop": "0.9"], playbook: "model-accuracy-degradation", severity: .p3),
        // model-drift
        Case(labels: ["alertname": "FeatureDriftDetected", "env": "prod"], annotations: ["psi": "0.3"], playbook: "model-drift", severity: .p2),
        Case(labels: ["alertname": "FeatureDriftDetected", "env": "prod"], annotations: ["psi": "0.05"], playbook: "model-drift", severity: .p4),
        Case(labels: ["source": "drift-monitor-01", "severity": "error"], values: ["psi": 0.41], playbook: "model-drift", severity: .p2),
        // feature-pipeline-failure
        Case(labels: ["alertname": "FeaturePipelineStale", "env": "prod", "severity": "warning"], annotations: ["staleness_hours": "3"], playbook: "feature-pipeline-failure", severity: .p2),
        Case(labels: ["alertname": "FeaturePipelineStale", "env": "prod"], annotations: ["staleness_hours": "6"], playbook: "feature-pipeline-failure", severity: .p1),
        Case(labels: ["alertname": "FeaturePipelineStale", "env": "prod"], annotations: ["staleness_hours": "1"], playbook: "feature-pipeline-failure", severity: .p3),
        // data-quality-alert
        Case(labels: ["alertname": "FeatureNullRateHigh", "env": "prod"], annotations: ["null_ratio": "0.6"], playbook: "data-quality-alert", severity: .p1),
        Case(labels: ["alertname": "FeatureNullRateHigh", "env": "prod"], annotations: ["null_ratio": "0.2"], playbook: "data-quality-alert", severity: .p2),
        Case(labels: ["alertname": "SchemaDriftDetected", "env": "prod"], playbook: "data-quality-alert", severity: .p3),
        // rag-context-corruption
        Case(labels: ["source": "rag-indexer", "severity": "critical"], playbook: "rag-context-corruption", severity: .p1),
        Case(labels: ["alertname": "EmbeddingIndexCorrupted", "env": "prod"], annotations: ["retrieval_error_ratio": "0.95"], playbook: "rag-context-corruption", severity: .p0),
        Case(labels: ["alertname": "EmbeddingIndexCorrupted", "env": "prod"], annotations: ["tenants_affected": "3"], playbook: "rag-context-corruption", severity: .p1),
        Case(labels: ["alertname": "EmbeddingIndexCorrupted", "env": "prod"], annotations: ["tenants_affected": "1"], playbook: "rag-context-corruption", severity: .p2),
        // token-budget-exhaustion (Grafana sends values)
        Case(labels: ["alertname": "TokenBudgetExhausted", "env": "prod"], values: ["B": 0.97], playbook: "token-budget-exhaustion", severity: .p1),
        Case(labels: ["alertname": "TokenBudgetExhausted", "env": "prod"], values: ["B": 1.0], playbook: "token-budget-exhaustion", severity: .p0),
        Case(labels: ["alertname": "TokenBudgetExhausted", "env": "prod"], values: ["B": 0.5], playbook: "token-budget-exhaustion", severity: .p4),
        // gpu-memory-exhaustion
        Case(labels: ["alertname": "GPUMemoryExhausted", "env": "prod", "severity": "critical"], annotations: ["gpu_memory_ratio": "0.99"], playbook: "gpu-memory-exhaustion", severity: .p1),
        Case(labels: ["alertname": "GPUMemoryHigh", "env": "prod"], annotations: ["gpu_memory_ratio": "0.92"], playbook: "gpu-memory-exhaustion", severity: .p2),
        Case(labels: ["alertname": "GPUMemoryHigh", "env": "prod"], annotations: ["gpu_memory_ratio": "0.5"], playbook: "gpu-memory-exhaustion", severity: .p4),
        // training-pipeline-failure
        Case(labels: ["alertname": "TrainingJobFailed", "env": "prod"], annotations: ["consecutive_failures": "3"], playbook: "training-pipeline-failure", severity: .p2),
        Case(labels: ["alertname": "TrainingJobFailed", "env": "prod"], annotations: ["consecutive_failures": "1"], playbook: "training-pipeline-failure", severity: .p3),
        Case(labels: ["alertname": "AirflowDagRunFailed", "dag_id": "training_churn", "env": "prod"], playbook: "training-pipeline-failure", severity: .p3),
        Case(labels: ["alertname": "AirflowDagRunFailed", "dag_id": "features_users", "env": "prod"], playbook: "feature-pipeline-failure", severity: .p3),
        // security-incident
        Case(labels: ["alertname": "CrossTenantDataExposure", "env": "prod"], playbook: "security-incident", severity: .p0),
        Case(labels: ["alertname": "PromptInjectionDetected", "env": "prod"], playbook: "security-incident", severity: .p3),
        Case(labels: ["alertname": "LLMSecretLeakDetected", "env": "staging"], playbook: "security-incident", severity: .p1),
        // No playbook: the integration's team and severity_defaults.
        Case(labels: ["alertname": "DiskFull", "severity": "critical"], playbook: nil, severity: .p1),
        Case(labels: ["alertname": "AirflowDagRunFailed", "dag_id": "reporting_daily", "severity": "warning"], playbook: nil, severity: .p3),
        Case(labels: ["alertname": "ModelAccuracyDropped"], playbook: nil, severity: .p3),
    ]

    @Test func everyShippedPlaybookIsCovered() {
        let covered = Set(Self.cases.compactMap(\.playbook))
        #expect(Self.config.playbooks.count >= 10)
        for p in Self.config.playbooks { #expect(covered.contains(p.id), "\(p.id) has no classification case") }
    }

    @Test(arguments: cases)
    func classifies(_ c: Case) {
        let classifier = Classifier(playbooks: Self.config.playbooks, defaults: Self.config.settings.severityDefaults)
        let alert = Alert(fingerprint: "f", status: .firing, labels: c.labels, annotations: c.annotations, values: c.values, summary: "s",
                          sourceSeverity: c.labels["severity"])
        let r = classifier.classify(alert, integrationTeam: "data-eng")
        #expect(r.playbook == c.playbook, "\(r.reasons)")
        #expect(r.severity == c.severity, "\(r.reasons)")
        if c.playbook == nil { #expect(r.team == "data-eng") } else { #expect(r.team == "ml-platform") }
        // The ingest path's classification (no reasons written) decides the same.
        let quiet = classifier.classify(alert, integrationTeam: "data-eng", explain: false)
        #expect(quiet.reasons.isEmpty && !r.reasons.isEmpty)
        var explained = quiet
        explained.reasons = r.reasons
        #expect(explained == r)
    }

    @Test func everyPlaybookHasWhatA3amResponderNeeds() {
        for p in Self.config.playbooks {
            #expect(!p.detection.isEmpty, "\(p.id) detection")
            #expect(p.severityRules.count >= 2, "\(p.id) severity rules")
            #expect(p.defaultSeverity != nil, "\(p.id) default severity")
            #expect(p.triage.count >= 3, "\(p.id) triage")
            #expect(p.diagnose.contains { $0.command != nil }, "\(p.id) diagnostic commands")
            #expect(p.decisionTree.count >= 2, "\(p.id) decision tree")
            #expect(!p.remediation.isEmpty, "\(p.id) remediation")
            #expect(!p.knownGood.isEmpty, "\(p.id) rollback target")
            #expect(!p.engage.isEmpty, "\(p.id) engage")
            #expect(p.communications[.technical] != nil, "\(p.id) communications")
            #expect(p.review?.requiredFor.contains(.p0) == true, "\(p.id) review")
        }
    }
}
