import Dispatch
import Foundation
import KlaxonConfig
import Logging
import ServiceLifecycle

/// Reloads the configuration while serving: on SIGHUP, and when a file of the configuration folder
/// changes (polled every `interval`: a directory listing and a stat per file). The decision to
/// apply or refuse is `ConfigReloader`'s; this only decides when to ask.
final class ConfigReloadService: Service, Sendable {
    let reloader: ConfigReloader
    let watcher: ConfigWatcher
    let interval: Duration

    init(reloader: ConfigReloader, interval: Duration = .seconds(2)) {
        self.reloader = reloader
        self.watcher = ConfigWatcher(configPath: reloader.configPath)
        self.interval = interval
    }

    func run() async throws {
        let (hangups, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
        defer { source.cancel(); continuation.finish() }
        let reloader = self.reloader, watcher = self.watcher, interval = self.interval
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in hangups {
                        _ = watcher.changed()   // this reload covers those changes too
                        reloader.reload(reason: "SIGHUP")
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: interval) } catch { return }
                        if watcher.changed() { reloader.reload(reason: "a configuration file changed") }
                    }
                }
                await group.waitForAll()
            }
        }
    }
}
