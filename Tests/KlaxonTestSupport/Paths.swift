import Foundation

/// The repository's root folder (this file is Tests/KlaxonTestSupport/Paths.swift).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `../shared/fixtures`, beside the repository: requests captured from real alert sources and Slack.
public let sharedFixtures: URL = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
