import Foundation
import Testing
@testable import KlaxonCore

/// RFC 5545 resolution of local wall times (SPEC 3.2): a time in a spring-forward gap is read with the
/// offset before the gap; a time that occurs twice means its first occurrence. Expectations are hand-computed.
struct DSTResolutionTests {
    @Test(arguments: [
        // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z).
        ("America/New_York", "2026-03-08T01:59", "2026-03-08T06:59Z"),
        ("America/New_York", "2026-03-08T02:00", "2026-03-08T07:00Z"),   // gap: 03:00 EDT
        ("America/New_York", "2026-03-08T02:30", "2026-03-08T07:30Z"),   // gap: 03:30 EDT (SPEC's example)
        ("America/New_York", "2026-03-08T03:00", "2026-03-08T07:00Z"),
        ("America/New_York", "2026-11-01T00:59", "2026-11-01T04:59Z"),
        ("America/New_York", "2026-11-01T01:00", "2026-11-01T05:00Z"),   // twice: first (EDT)
        ("America/New_York", "2026-11-01T01:30", "2026-11-01T05:30Z"),   // twice: first (EDT)
        ("America/New_York", "2026-11-01T02:00", "2026-11-01T07:00Z"),
        // Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
        ("Europe/Berlin", "2026-03-29T02:30", "2026-03-29T01:30Z"),
        ("Europe/Berlin", "2026-03-29T03:00", "2026-03-29T01:00Z"),
        ("Europe/Berlin", "2026-10-25T02:30", "2026-10-25T00:30Z"),
        ("Europe/Berlin", "2026-10-25T03:00", "2026-10-25T02:00Z"),
        // Australia/Sydney (southern hemisphere): 2026-04-05 03:00 AEDT -> 02:00 AEST; 2026-10-04 02:00 AEST -> 03:00 AEDT.
        ("Australia/Sydney", "2026-04-05T02:30", "2026-04-04T15:30Z"),   // twice: first (+11)
        ("Australia/Sydney", "2026-04-05T03:00", "2026-04-04T17:00Z"),
        ("Australia/Sydney", "2026-10-04T02:30", "2026-10-03T16:30Z"),   // gap: 03:30 AEDT
        ("Australia/Sydney", "2026-10-04T03:00", "2026-10-03T16:00Z"),
        // Pacific/Chatham (+12:45 / +13:45): 2026-04-05 03:45 -> 02:45; 2026-09-27 02:45 -> 03:45.
        ("Pacific/Chatham", "2026-04-05T02:44", "2026-04-04T12:59Z"),
        ("Pacific/Chatham", "2026-04-05T03:00", "2026-04-04T13:15Z"),    // twice: first (+13:45)
        ("Pacific/Chatham", "2026-04-05T03:45", "2026-04-04T15:00Z"),
        ("Pacific/Chatham", "2026-09-27T03:00", "2026-09-26T14:15Z"),    // gap: 04:00 CHADT
        ("Pacific/Chatham", "2026-09-27T03:45", "2026-09-26T14:00Z"),
        // America/St_Johns (-3:30 / -2:30): 2026-03-08 02:00 NST -> 03:00 NDT; 2026-11-01 02:00 NDT -> 01:00 NST.
        ("America/St_Johns", "2026-03-08T02:30", "2026-03-08T06:00Z"),   // gap: 03:30 NDT
        ("America/St_Johns", "2026-11-01T01:30", "2026-11-01T04:00Z"),   // twice: first (NDT)
        ("America/St_Johns", "2026-11-01T02:00", "2026-11-01T05:30Z"),
        // Asia/Kolkata (+5:30, no DST).
        ("Asia/Kolkata", "2026-03-08T02:30", "2026-03-07T21:00Z"),
        ("Asia/Kolkata", "2026-10-25T02:30", "2026-10-24T21:00Z"),
    ])
    func localTimeResolution(zone: String, local: String, expected: String) {
        #expect(RT.zone(zone).instant(of: RT.local(local)) == RT.utc(expected))
    }

    @Test(arguments: [
        ("America/New_York", "2026-11-01T05:30Z", "2026-11-01T01:30"),
        ("America/New_York", "2026-11-01T06:30Z", "2026-11-01T01:30"),
        ("Pacific/Chatham", "2026-09-26T14:00Z", "2026-09-27T03:45"),
        ("America/St_Johns", "2026-03-08T05:29Z", "2026-03-08T01:59"),
        ("Asia/Kolkata", "2026-03-07T21:00Z", "2026-03-08T02:30"),
        ("Europe/Berlin", "1850-06-01T12:00Z", "1850-06-01T12:53"),      // before the cached range: Foundation (LMT)
        ("Europe/Berlin", "2300-07-01T12:00Z", "2300-07-01T14:00"),      // after it: Foundation's rules
    ])
    func instantToLocal(zone: String, instant: String, expected: String) {
        #expect(RT.zone(zone).localDateTime(of: RT.utc(instant)) == RT.local(expected))
    }

    @Test func offsetTransitionsMatchFoundation() {
        for id in ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Pacific/Chatham", "America/St_Johns", "Asia/Kolkata"] {
            let tz = RT.zone(id)
            let ts = tz.offsetTransitions(from: RT.utc("2026-01-01T00:00Z"), to: RT.utc("2027-01-01T00:00Z"))
            #expect(ts.count == (id == "Asia/Kolkata" ? 0 : 2), "\(id)")
            for t in ts {
                #expect(tz.secondsFromGMT(for: t.at) == t.offsetAfter)
                #expect(tz.secondsFromGMT(for: t.at.addingTimeInterval(-1)) == t.offsetBefore)
            }
        }
        let chatham = RT.zone("Pacific/Chatham").offsetTransitions(from: RT.utc("2026-01-01T00:00Z"), to: RT.utc("2027-01-01T00:00Z"))
        #expect(chatham.map(\.offsetAfter) == [45_900, 49_500])
        #expect(chatham.map(\.at) == [RT.utc("2026-04-04T14:00Z"), RT.utc("2026-09-26T14:00Z")])
    }

    /// Every hour of 2026 in each zone: local time from the cached rules equals Calendar's.
    @Test func cachedOffsetsAgreeWithCalendarHourly() {
        for id in ["America/New_York", "Australia/Sydney", "Pacific/Chatham", "America/St_Johns"] {
            let tz = RT.zone(id)
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = tz
            var t = RT.utc("2026-01-01T00:00Z")
            var mismatches = 0
            for _ in 0..<(365 * 24) {
                let c = cal.dateComponents([.year, .month, .day, .hour, .minute], from: t)
                let l = tz.localDateTime(of: t)
                if (l.date.year, l.date.month, l.date.day, l.time.hour, l.time.minute) != (c.year!, c.month!, c.day!, c.hour!, c.minute!) { mismatches += 1 }
                t = t.addingTimeInterval(3600)
            }
            #expect(mismatches == 0, "\(id)")
        }
    }
}
