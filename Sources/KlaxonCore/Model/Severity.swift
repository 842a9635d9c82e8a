import Foundation

/// Incident severity: `P0` critical … `P4` planning. `P0` is the highest; `Comparable` orders by
/// urgency, so `max()` of a set of severities is the most severe one.
public enum Severity: String, Sendable, Hashable, CaseIterable, Codable, Comparable, CustomStringConvertible {
    case p0 = "P0", p1 = "P1", p2 = "P2", p3 = "P3", p4 = "P4"

    /// 0 for P0 … 4 for P4.
    public var rank: Int { Severity.allCases.firstIndex(of: self)! }

    /// `a < b` when `a` is less severe than `b` (P4 < P0).
    public static func < (a: Severity, b: Severity) -> Bool { a.rank > b.rank }

    public var description: String { rawValue }

    /// Parses `P0`…`P4` (case-insensitive).
    public init?(text: String) {
        guard let s = Severity(rawValue: text.uppercased()) else { return nil }
        self = s
    }

    public var label: String {
        switch self {
        case .p0: "critical"
        case .p1: "high"
        case .p2: "medium"
        case .p3: "low"
        case .p4: "planning"
        }
    }
}

/// The AI incident categories of SPEC 2.
public enum IncidentCategory: String, Sendable, Hashable, CaseIterable, Codable {
    case modelPerformance = "model-performance"
    case contextPipeline = "context-pipeline"
    case resourceExhaustion = "resource-exhaustion"
    case dataQuality = "data-quality"
    case infrastructure
    case security
    case other
}

/// Who is woken up for an incident of a given severity.
public enum Urgency: String, Sendable, Hashable, Codable, CaseIterable {
    /// Page at once, any hour.
    case high
    /// Page only inside the recipient's working hours.
    case low
    /// Never page; recorded, and told to the audiences that list it.
    case none
}

/// The lifecycle of an incident: `triggered → acknowledged → resolved`.
public enum IncidentStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case triggered, acknowledged, resolved

    public var isOpen: Bool { self != .resolved }
}

/// Whether an alert is still firing.
public enum AlertStatus: String, Sendable, Hashable, Codable {
    case firing, resolved
}
