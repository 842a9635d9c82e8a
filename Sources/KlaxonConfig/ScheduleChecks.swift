import Foundation
import KlaxonCore

/// The schedule lint of issue 3 (KlaxonCore's `lint(schedule:now:horizon:)`) reported at the place
/// in the team file each finding is about:
///
/// - every gap in the next 28 days, with its local start and end: a warning at the schedule;
/// - overrides that overlap each other: a warning at the later override;
/// - a `replaces` naming someone who is in no layer of that schedule: an error at that name;
/// - restriction windows that leave a layer always empty: a warning at the empty window (or at the
///   layer's `restrict` list when the windows are only empty together).
enum ScheduleChecks {
    static let horizon: TimeInterval = 28 * 86_400

    static func report(_ sources: [ScheduleSource], knownPeople: Set<String>, now: Date) {
        for source in sources where source.complete {
            for finding in lint(schedule: source.schedule, now: now, horizon: horizon) {
                report(finding, source, knownPeople: knownPeople)
            }
        }
    }

    private static func report(_ finding: ScheduleFinding, _ source: ScheduleSource, knownPeople: Set<String>) {
        var f = finding
        // An unnamed layer is called "layer N" by the loader; say it once.
        f.message = f.message.replacingOccurrences(of: "layer layer ", with: "layer ")
        switch f.kind {
        case .gap:
            source.node.warning(f.message)
        case .overlappingOverrides:
            guard f.overrideIndices.count == 2, let i = f.overrideIndices.first, let j = f.overrideIndices.last,
                  source.overrides.indices.contains(i), source.overrides.indices.contains(j) else { return source.node.warning(f.message) }
            source.overrides[j].node.warning(f.message + " (override \(i + 1) is at line \(source.overrides[i].node.line))")
        case .unknownReplaces:
            guard let i = f.overrideIndices.first, source.overrides.indices.contains(i) else { return source.node.error(f.message) }
            let o = source.overrides[i]
            // Someone not in people.yaml at all is already an "unknown person" error at this place.
            if let name = source.schedule.overrides[i].replaces, !knownPeople.contains(name) { return }
            (o.replaces ?? o.node).error(f.message)
        case .layerAlwaysEmpty:
            guard let li = f.layerIndex, source.layers.indices.contains(li) else { return source.node.warning(f.message) }
            let layer = source.layers[li]
            if let w = f.restrictionIndices.first, layer.windows.indices.contains(w) { return layer.windows[w].warning(f.message) }
            (layer.restrict ?? layer.node).warning(f.message)
        }
    }
}
