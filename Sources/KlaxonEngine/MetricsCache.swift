import Metrics

/// Counters made once per label set: the ingest path counts every request, and asking the
/// metrics factory each time costs a lookup under its lock plus an allocation.
public enum MetricsCache {
    private static let counters = Locked<[String: Counter]>([:])

    public static func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = label + "|" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return counters.withLock { all in
            if let c = all[key] { return c }
            let c = Counter(label: label, dimensions: dimensions)
            all[key] = c
            return c
        }
    }
}

/// The counters every ingest touches, made once per integration. A caller that keeps them
/// (the HTTP ingest keeps them with each integration) passes them to `IncidentService.ingest`,
/// which otherwise looks them up under a lock shared by every event loop.
public struct IngestCounters: Sendable {
    let firing: Counter
    let resolved: Counter
    private static let all = Locked<[String: IngestCounters]>([:])

    public static func `for`(_ integration: String) -> IngestCounters {
        all.withLock { all in
            if let c = all[integration] { return c }
            let c = IngestCounters(firing: MetricsCache.counter("klaxon_alerts_received_total", [("integration", integration), ("status", "firing")]),
                                   resolved: MetricsCache.counter("klaxon_alerts_received_total", [("integration", integration), ("status", "resolved")]))
            all[integration] = c
            return c
        }
    }
}
