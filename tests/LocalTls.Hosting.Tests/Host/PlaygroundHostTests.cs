using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Testing;
using LocalTls.Tests.StepCa;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Host;

/// <summary>The playground AppHost run on this machine (DCP, real step-ca): its wildcard certificate and what its log tells a new user.</summary>
public class PlaygroundHostTests
{
    /// <summary>The AppHost's own log lines (not the resources' console logs), as <c>dotnet run</c> prints them.</summary>
    private sealed class AppHostLog : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(AppHostLog log) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                log.Lines.Enqueue(formatter(state, exception));
        }
    }

    [Fact]
    public async Task The_playground_issues_its_wildcard_and_says_once_how_to_trust_the_root_and_which_url_to_open()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var store = dir.Combine("caroot");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LocalTls_Playground_AppHost>([$"--Playground:CaStore={store}"], ct);
        builder.CreateResourceBuilder(builder.Resources.OfType<StepCaResource>().Single()).WithExecutable(StepCaBinary.Path);
        var log = new AppHostLog();
        builder.Services.AddLogging(l => l.AddProvider(log));
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(3), ct);

        // The wildcard: issued over dns-01, shown with its name, and a certificate that covers any one label below.
        var wildcard = await app.WaitForCertificateAsync("wildcard-tls", TimeSpan.FromMinutes(2), ct);
        var leaf = wildcard.ReadChain()[0];
        Assert.True(leaf.MatchesHostname("api.web.127.0.0.1.sslip.io", allowWildcards: true));
        Assert.False(leaf.MatchesHostname("web.127.0.0.1.sslip.io", allowWildcards: true));
        Assert.True(app.ResourceNotifications.TryGetCurrentState("wildcard-tls", out var shown));
        Assert.Contains(shown.Snapshot.Properties, p => p.IsHighlighted && p.DisplayName == "Names" && Equals(p.Value, "*.web.127.0.0.1.sslip.io"));

        await app.WaitForCertificateAsync("web-tls", TimeSpan.FromMinutes(2), ct);
        await app.ResourceNotifications.WaitForResourceAsync("web", KnownResourceStates.Running, ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        var port = app.GetEndpoint("web", "https").Port;
        var open = $"Open https://web.127.0.0.1.sslip.io:{port}/";
        var trust = $"LOCALTLS_CAROOT={store} localtls trust install";
        for (var attempt = 0; attempt < 100 && !(log.Lines.Any(l => l.Contains(open, StringComparison.Ordinal)) && log.Lines.Any(l => l.Contains(trust, StringComparison.Ordinal))); attempt++)
        {
            await Task.Delay(100, ct);
        }

        Assert.Single(log.Lines, l => l.Contains(trust, StringComparison.Ordinal) && l.Contains(Path.Combine(store, "root_ca.crt"), StringComparison.Ordinal));
        Assert.Single(log.Lines, l => l.StartsWith(open, StringComparison.Ordinal));

        // Restarting step-ca and the web project says nothing again. While step-ca restarts the CA never reads Exited:
        // the web project waits for the CA, and a wait gives up on an Exited resource.
        var caStates = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watch = Task.Run(async () =>
        {
            await foreach (var e in app.ResourceNotifications.WatchAsync(watching.Token).WithCancellation(watching.Token))
            {
                if (e.Resource.Name == "step-ca" && e.Snapshot.State?.Text is { } state)
                {
                    caStates.Enqueue(state);
                }
            }
        }, CancellationToken.None);
        foreach (var resource in new[] { "step-ca-server", "web" })
        {
            var restarted = await app.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.RestartCommand, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            Assert.True(restarted.Success, $"{resource}: {restarted.Message}");
        }

        await app.ResourceNotifications.WaitForResourceHealthyAsync("step-ca", ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        await app.ResourceNotifications.WaitForResourceAsync("web", KnownResourceStates.Running, ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        await watching.CancelAsync();
        await watch.ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.Contains(KnownResourceStates.Stopping, caStates);
        Assert.DoesNotContain(KnownResourceStates.Exited, caStates);
        Assert.Single(log.Lines, l => l.Contains("localtls trust install", StringComparison.Ordinal));
        Assert.Single(log.Lines, l => l.StartsWith("Open https://", StringComparison.Ordinal));
        await app.StopAsync(ct);
    }
}
