import Foundation

extension ScheduleRendering {
    /// Distinguishable colours, none of them red (red means a gap).
    static let palette = ["#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#EDC948", "#17BECF",
                          "#9C755F", "#FF9DA7", "#79706E", "#2B3A67", "#B6992D", "#8CD17D"]
    static let gapColor = "#D62728"

    /// A colour per person: each id prefers a palette slot chosen by a stable hash of the id, and takes
    /// the next free slot when two ids of the same picture collide (so colours stay distinguishable).
    public static func colors(for members: [String]) -> [String: String] {
        var out: [String: String] = [:]
        var taken = Set<Int>()
        for m in Set(members).sorted() {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in m.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            if taken.count >= palette.count {
                let hue = Double(h % 360)
                out[m] = "hsl(\(Int(hue)),55%,55%)"
                continue
            }
            var slot = Int(h % UInt64(palette.count))
            while taken.contains(slot) { slot = (slot + 1) % palette.count }
            taken.insert(slot)
            out[m] = palette[slot]
        }
        return out
    }

    /// An SVG picture of the schedules over [from, to): one lane per layer plus the final on-call lane
    /// per schedule, a colour per person, gaps in red, clock changes marked, dates in `timeZone`
    /// (default: the first schedule's zone), and a legend.
    public static func svg(team: String, schedules: [Schedule], from: Date, to: Date, timeZone: TimeZone? = nil) -> String {
        let tz = timeZone ?? schedules.first?.timeZone ?? TimeZone(identifier: "UTC")!
        let width = 1200.0, left = 170.0, right = 28.0
        let plotW = width - left - right
        let span = max(to.timeIntervalSince(from), 1)
        func x(_ d: Date) -> Double { left + min(max(d.timeIntervalSince(from) / span, 0), 1) * plotW }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        // Data.
        struct Lane { var label: String; var bold: Bool; var intervals: [OnCallInterval]; var gaps: [DateInterval] }
        var blocks: [(title: String, lanes: [Lane])] = []
        var everyone: [String] = []
        for s in schedules {
            var lanes: [Lane] = []
            for (i, l) in s.layers.enumerated() {
                let iv = from < to ? s.layerIntervals(layerIndex: i, from: from, to: to) : []
                let zone = l.timeZone.identifier == tz.identifier ? "" : " (\(l.timeZone.identifier))"
                lanes.append(Lane(label: l.name + zone, bold: false, intervals: iv, gaps: []))
                everyone += iv.map(\.member)
            }
            let fin = from < to ? s.intervals(from: from, to: to) : []
            let gaps = from < to ? s.gaps(from: from, to: to) : []
            everyone += fin.map(\.member)
            lanes.append(Lane(label: "on call", bold: true, intervals: fin, gaps: gaps))
            blocks.append(("schedule \(s.id)", lanes))
        }
        let colors = colors(for: everyone)

        var body: [String] = []
        var y = 0.0
        // Title.
        body.append("<text x=\"24\" y=\"30\" font-size=\"18\" font-weight=\"bold\" fill=\"#1b1f24\">\(xml(team)): who is on call</text>")
        body.append("<text x=\"24\" y=\"50\" font-size=\"12\" fill=\"#57606a\">\(xml(localTime(from, in: tz))) to \(xml(localTime(to, in: tz))) · times in \(xml(tz.identifier))</text>")
        let axisY = 78.0, dstY = 94.0
        y = 108

        // Lanes.
        var laneSVG: [String] = []
        for b in blocks {
            laneSVG.append("<text x=\"24\" y=\"\(f(y + 13))\" font-size=\"13\" font-weight=\"bold\" fill=\"#1b1f24\">\(xml(b.title))</text>")
            y += 20
            for lane in b.lanes {
                let h = lane.bold ? 30.0 : 22.0
                laneSVG.append("<text x=\"\(f(left - 10))\" y=\"\(f(y + h / 2 + 4))\" font-size=\"12\" text-anchor=\"end\"\(lane.bold ? " font-weight=\"bold\"" : "") fill=\"#1b1f24\">\(xml(lane.label))</text>")
                laneSVG.append("<rect x=\"\(f(left))\" y=\"\(f(y))\" width=\"\(f(plotW))\" height=\"\(f(h))\" fill=\"#f3f4f6\" opacity=\"0.85\"/>")
                for i in lane.intervals {
                    let x0 = x(i.start), x1 = x(i.end)
                    let c = colors[i.member] ?? "#888888"
                    let tip = "\(i.member): \(localTime(i.start, in: tz)) to \(localTime(i.end, in: tz)) (\(duration(i.duration)))"
                    var r = "<rect x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(max(x1 - x0, 0.5)))\" height=\"\(f(h))\" fill=\"\(c)\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>\(xml(tip))</title></rect>"
                    if x1 - x0 >= Double(i.member.count) * 7 + 8 {
                        r += "<text x=\"\(f((x0 + x1) / 2))\" y=\"\(f(y + h / 2 + 4))\" font-size=\"11\" text-anchor=\"middle\" fill=\"\(textColor(on: c))\" pointer-events=\"none\">\(xml(i.member))</text>"
                    }
                    laneSVG.append(r)
                }
                for g in lane.gaps {
                    let x0 = x(g.start), x1 = x(g.end)
                    let tip = "nobody on call: \(localTime(g.start, in: tz)) to \(localTime(g.end, in: tz)) (\(duration(g.duration)))"
                    var r = "<rect x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(max(x1 - x0, 1.5)))\" height=\"\(f(h))\" fill=\"url(#gap)\" stroke=\"\(gapColor)\" stroke-width=\"1\"><title>\(xml(tip))</title></rect>"
                    if x1 - x0 >= 36 {
                        r += "<text x=\"\(f((x0 + x1) / 2))\" y=\"\(f(y + h / 2 + 4))\" font-size=\"11\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#ffffff\" pointer-events=\"none\">gap</text>"
                    }
                    laneSVG.append(r)
                }
                y += h + 5
            }
            y += 14
        }
        let lanesBottom = y - 14

        // Date ticks and grid (behind the lanes).
        var grid: [String] = []
        for t in ticks(from: from, to: to, tz: tz) {
            let tx = x(t.at)
            grid.append("<line x1=\"\(f(tx))\" y1=\"\(f(axisY + 4))\" x2=\"\(f(tx))\" y2=\"\(f(lanesBottom))\" stroke=\"\(t.label == nil ? "#eceef1" : "#d0d4da")\" stroke-width=\"1\"/>")
            if let label = t.label, tx + 3 + Double(label.count) * 6.2 <= width - 4 {
                grid.append("<text x=\"\(f(tx + 3))\" y=\"\(f(axisY))\" font-size=\"11\" fill=\"#57606a\">\(xml(label))</text>")
            }
        }

        // Clock changes (in front).
        var dst: [String] = []
        for tr in tz.offsetTransitions(from: from, to: to) {
            let tx = x(tr.at)
            let u = tr.at.unixSeconds
            let before = LocalDateTime(localSeconds: u + tr.offsetBefore), after = LocalDateTime(localSeconds: u + tr.offsetAfter)
            let delta = tr.offsetAfter - tr.offsetBefore
            let label = "\(before.date.weekday.shortName) \(before.date.day) \(monthAbbrev(before.date.month)): clocks \(before.time) → \(after.time) (\(delta > 0 ? "+" : "−")\(duration(Double(abs(delta)))), UTC\(offsetText(tr.offsetAfter)))"
            dst.append("<line x1=\"\(f(tx))\" y1=\"\(f(dstY - 10))\" x2=\"\(f(tx))\" y2=\"\(f(lanesBottom))\" stroke=\"#1b1f24\" stroke-width=\"1.2\" stroke-dasharray=\"5 3\"><title>\(xml(label))</title></line>")
            let anchorEnd = tx > width - right - 300
            dst.append("<text x=\"\(f(anchorEnd ? tx - 4 : tx + 4))\" y=\"\(f(dstY))\" font-size=\"11\" fill=\"#1b1f24\"\(anchorEnd ? " text-anchor=\"end\"" : "")>\(xml(label))</text>")
        }

        // Legend.
        var legend: [String] = []
        var lx = 24.0, ly = lanesBottom + 26
        func item(_ label: String, _ swatch: (Double, Double) -> String) {
            let w = 18 + Double(label.count) * 7 + 22
            if lx + w > width - right { lx = 24; ly += 20 }
            legend.append(swatch(lx, ly - 10))
            legend.append("<text x=\"\(f(lx + 18))\" y=\"\(f(ly))\" font-size=\"12\" fill=\"#1b1f24\">\(xml(label))</text>")
            lx += w
        }
        for m in colors.keys.sorted() {
            item(m) { "<rect x=\"\(f($0))\" y=\"\(f($1))\" width=\"12\" height=\"12\" rx=\"2\" fill=\"\(colors[m]!)\"/>" }
        }
        item("gap: nobody on call") { "<rect x=\"\(f($0))\" y=\"\(f($1))\" width=\"12\" height=\"12\" rx=\"2\" fill=\"url(#gap)\" stroke=\"\(gapColor)\"/>" }
        item("clock change (DST)") { "<line x1=\"\(f($0 + 6))\" y1=\"\(f($1 - 1))\" x2=\"\(f($0 + 6))\" y2=\"\(f($1 + 13))\" stroke=\"#1b1f24\" stroke-width=\"1.2\" stroke-dasharray=\"5 3\"/>" }
        let height = ly + 18

        var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\">\n"
        svg += "<defs><pattern id=\"gap\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"\(gapColor)\"/><rect width=\"3\" height=\"8\" fill=\"#F08A8B\"/></pattern></defs>\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        svg += (body + grid + laneSVG + dst + legend).joined(separator: "\n")
        svg += "\n</svg>\n"
        return svg
    }

    /// Date ticks in `tz`: labelled ones and unlabelled grid lines, spaced for the length of the range.
    static func ticks(from: Date, to: Date, tz: TimeZone) -> [(at: Date, label: String?)] {
        guard from < to else { return [] }
        let rules = ZoneRules.of(tz)
        let days = to.timeIntervalSince(from) / 86_400
        let firstDay = Civil.floorDiv(rules.localSeconds(at: from.unixSeconds), Civil.secondsPerDay)
        let lastDay = Civil.floorDiv(rules.localSeconds(at: to.unixSeconds), Civil.secondsPerDay) + 1
        var out: [(Date, String?)] = []
        func at(_ day: Int, _ hour: Int = 0) -> Date { Date(unixSeconds: rules.instant(ofLocal: day * Civil.secondsPerDay + hour * 3600)) }
        func dayLabel(_ d: LocalDate) -> String { "\(d.weekday.shortName) \(d.day) \(monthAbbrev(d.month))" }
        for day in firstDay...lastDay {
            let d = LocalDate(daysSinceEpoch: day)
            if days <= 2.5 {
                for h in stride(from: 0, to: 24, by: 3) { out.append((at(day, h), h == 0 ? dayLabel(d) : "\(zeroPadded(h, 2)):00")) }
            } else if days <= 21 {
                out.append((at(day), dayLabel(d)))
            } else if days <= 100 {
                out.append((at(day), d.weekday == .monday ? dayLabel(d) : nil))
            } else if days <= 800 {
                if d.day == 1 { out.append((at(day), d.month == 1 || out.isEmpty ? "\(monthAbbrev(d.month)) \(d.year)" : monthAbbrev(d.month))) }
            } else if d.day == 1 && d.month == 1 {
                out.append((at(day), "\(d.year)"))
            }
        }
        return out.filter { $0.0 >= from && $0.0 < to }
    }

    static func monthAbbrev(_ m: Int) -> String { String(Civil.monthNames[m - 1].prefix(3)) }

    /// Dark or white text, whichever reads better on `hex`.
    static func textColor(on hex: String) -> String {
        guard hex.hasPrefix("#"), hex.count == 7, let v = Int(hex.dropFirst(), radix: 16) else { return "#1b1f24" }
        let r = Double(v >> 16 & 0xff), g = Double(v >> 8 & 0xff), b = Double(v & 0xff)
        return (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? "#1b1f24" : "#ffffff"
    }

    /// Text for XML and HTML, in elements and quoted attributes. Scalar by scalar: a quote or `<`
    /// followed by a combining mark is one Character in Swift, but a parser still reads it.
    public static func xml(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&apos;".unicodeScalars)
            default: out.append(u)
            }
        }
        return String(out)
    }
}
