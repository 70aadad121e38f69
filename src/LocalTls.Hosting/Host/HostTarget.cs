using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Pki;
using LocalTls.Sslip;
using LocalTls.StepCa;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalTls.Host;

/// <summary>
/// The host target, wired once the model is complete: for each step-ca not placed in a cluster, its sslip.io DNS
/// responder (in this process), step-ca itself as a child executable that Aspire runs, and the issuers and
/// certificates that the app issues in cert-manager's place. The CA resource mirrors its process's state.
/// </summary>
internal sealed class HostTarget(
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLoggers,
    ILogger<HostTarget> logger,
    StepCaLocator locator,
    IHostApplicationLifetime lifetime) : IAsyncDisposable
{
    /// <summary>How long a step-ca stopped on request may take to start again (a Restart) before the CA reads Exited.</summary>
    internal static TimeSpan RestartGrace { get; set; } = TimeSpan.FromSeconds(3);

    private readonly ConcurrentDictionary<StepCaResource, HostCa> _cas = new();
    private readonly ConcurrentDictionary<SslipDnsResource, SslipDnsServer> _dns = new();
    private readonly ConcurrentDictionary<StepCaResource, List<AcmeIssuerResource>> _issuers = new();

    /// <summary>The state an issuer shows while its CA's step-ca is not running: it cannot issue.</summary>
    public const string CaNotRunning = "CA not running";

    /// <summary>Called from <see cref="BeforeStartEvent"/> in run mode: adds and wires the host resources of every CA placed here.</summary>
    public void Wire(IDistributedApplicationBuilder builder, DistributedApplicationModel model)
    {
        // Projects first: they may ask for a CA's root collection, which the CA's wiring then fills.
        foreach (var served in model.Resources.Where(r => r.Annotations.OfType<LocalTlsServingAnnotation>().Any()).ToList())
        {
            LocalTlsServing.Wire(builder, served, logger);
            _ = Task.Run(() => AnnounceUrlAsync(served, lifetime.ApplicationStopping), CancellationToken.None);
        }

        foreach (var ca in model.Resources.OfType<StepCaResource>().Where(c => c.Cluster is null).ToList())
        {
            WireCa(builder, model, ca);
        }

        foreach (var issuer in model.Resources.OfType<AcmeIssuerResource>().Where(i => i.Ca is { Cluster: null }).ToList())
        {
            var ca = issuer.Ca!;
            _issuers.GetOrAdd(ca, _ => []).Add(issuer);
            builder.CreateResourceBuilder(issuer)
                .WithAnnotation(new WaitAnnotation(ca, WaitType.WaitUntilHealthy))
                // An issuer can issue only while its CA answers: its health is the CA's.
                .WithHealthCheck(StepCaHealthCheck.Key(ca))
                .OnInitializeResource((r, e, ct) =>
                {
                    _ = Task.Run(() => RunIssuerAsync(r, lifetime.ApplicationStopping), CancellationToken.None);
                    return Task.CompletedTask;
                });
        }

        foreach (var certificate in model.Resources.OfType<CertificateResource>().Where(c => c.Issuer?.Ca is { Cluster: null }).ToList())
        {
            CertificateHost.Wire(builder, certificate);
        }

    }

    private void WireCa(IDistributedApplicationBuilder builder, DistributedApplicationModel model, StepCaResource ca)
    {
        var caBuilder = builder.CreateResourceBuilder(ca);
        var dns = new SslipDnsResource($"{ca.Name}-dns");
        model.Resources.Add(dns);
        var dnsBuilder = builder.CreateResourceBuilder(dns)
            .ExcludeFromManifest()
            .WithIconName("Globe")
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "SslipDns", State = KnownResourceStates.NotStarted, Properties = [] })
            .WithParentRelationship(ca)
            .OnInitializeResource((r, e, ct) => StartDnsAsync(r, e));

        HostCa host;
        var runtime = StepCaContainer.Runtime(builder.Configuration);
        try
        {
            var material = StepCaMaterial.Load(ca);
            string? executable = null;
            try
            {
                executable = locator.Locate(ca.ExecutablePath);
            }
            catch (StepCaException) when (runtime is not null)
            {
                // No binary, but the user chose a container runtime for Aspire: the smallstep image runs instead.
            }

            var port = ca.HostPort != 0 ? ca.HostPort : LoopbackPort.GetFree(IPAddress.Loopback);
            host = new HostCa(ca, material, port, dns, executable, Problem: null)
            {
                Image = executable is null ? $"{ca.Image}:{ca.ImageTag}" : null,
            };
        }
        catch (Exception ex) when (ex is StepCaException or PkiException or IOException or UnauthorizedAccessException)
        {
            host = new HostCa(ca, Material: null, Port: 0, dns, Executable: null, Problem: ex.Message);
        }

        _cas[ca] = host;
        if (ca.Trust is { } trust && host.Material is { } m && !trust.Certificates.Cast<X509Certificate2>().Any(c => c.Thumbprint == m.GetRootCertificate().Thumbprint))
        {
            trust.Certificates.Add(m.GetRootCertificate());
        }

        caBuilder.OnInitializeResource((r, e, ct) => InitializeCaAsync(host, e));
        if (host.Image is not null)
        {
            // A container cannot reach this machine's loopback: the DNS responder listens on all interfaces (it answers
            // only its sslip.io zones, never recursively), on a port chosen now so step-ca's --resolver is fixed.
            dns.EndPoint = new IPEndPoint(IPAddress.Any, LoopbackPort.GetFree(IPAddress.Any));
            var container = StepCaContainer.Add(builder, model, host, runtime!, dnsBuilder, dns.EndPoint.Port);
            caBuilder.WithHealthCheck(StepCaHealthCheck.Key(ca));
            _ = Task.Run(() => MirrorAsync(host, container, lifetime.ApplicationStopping), CancellationToken.None);
            return;
        }

        if (host.Executable is null)
        {
            return;
        }

        var server = new StepCaServerResource($"{ca.Name}-server", host.Executable, ca.HostDataDirectory, ca);
        model.Resources.Add(server);
        var layout = StepCaLayout.Host(ca.HostDataDirectory);
        builder.CreateResourceBuilder(server)
            .ExcludeFromManifest()
            .WithParentRelationship(ca)
            .WithIconName("ShieldKeyhole")
            .WithHttpsEndpoint(port: host.Port, targetPort: host.Port, name: "https", isProxied: false)
            .WaitFor(dnsBuilder)
            .WithArgs(context =>
            {
                var resolver = _dns.TryGetValue(dns, out var running) ? running.EndPoint.ToString() : null;
                foreach (var arg in StepCaCommandLine.Arguments(layout, passwordFile: false, resolver))
                {
                    context.Args.Add(arg);
                }
            })
            // Written just before each start, so a restart picks up a changed model or a replaced CA store.
            .OnBeforeResourceStarted((r, e, ct) =>
            {
                var options = StepCaKubernetesRenderer.OptionsFor(ca);
                options.Address = $"127.0.0.1:{host.Port}";
                options.DnsNames = ["127.0.0.1", "localhost", .. ca.ExtraDnsNames.Where(n => n is not "127.0.0.1" and not "localhost")];
                StepCaFiles.Write(layout, options, host.Material!.WithoutRootKey());
                return Task.CompletedTask;
            });
        // The /health check sits on the CA, which everything waits for; on the process too it read Unhealthy next to a
        // healthy CA on the dashboard.
        caBuilder.WithHealthCheck(StepCaHealthCheck.Key(ca));
        _ = Task.Run(() => MirrorAsync(host, server, lifetime.ApplicationStopping), CancellationToken.None);
    }

    /// <summary>The running CA of a certificate's issuer; for issuance.</summary>
    public HostCa? Get(StepCaResource ca) => _cas.TryGetValue(ca, out var host) ? host : null;

    /// <summary>The DNS responder a CA resolves through, once it answers.</summary>
    public SslipDnsServer? Dns(HostCa ca) => _dns.TryGetValue(ca.Dns, out var server) ? server : null;

    private async Task StartDnsAsync(SslipDnsResource resource, InitializeResourceEvent e)
    {
        await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Starting });
        try
        {
            var server = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = resource.EndPoint, AllowAllInterfaces = resource.EndPoint.Address.Equals(IPAddress.Any) });
            _dns[resource] = server;
            e.Logger.LogInformation("Answering {Zones} on {EndPoint} (udp+tcp).", string.Join(", ", server.Zones), server.EndPoint);
            await e.Notifications.PublishUpdateAsync(resource, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                StartTimeStamp = DateTime.UtcNow,
                Properties = s.Properties.With(LocalTlsProperties.Resolver, server.EndPoint.ToString()),
            });
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or SocketException)
        {
            e.Logger.LogError("{Message}", ex.Message);
            await e.Notifications.PublishUpdateAsync(resource, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
            });
        }
    }

    private async Task InitializeCaAsync(HostCa host, InitializeResourceEvent e)
    {
        if (host.Problem is { } problem)
        {
            // Where people look: the CA's console log and the AppHost's own log, besides the property.
            e.Logger.LogError("{Problem}", problem);
            logger.LogError("step-ca '{Name}' cannot start: {Problem}", host.Ca.Name, problem);
            await e.Notifications.PublishUpdateAsync(host.Ca, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, problem),
            });
            return;
        }

        var version = host.Executable is { } executable ? await StepCaExecutable.VersionAsync(executable, lifetime.ApplicationStopping) : null;
        host.Version = version;
        await e.Notifications.PublishUpdateAsync(host.Ca, s => s with
        {
            State = KnownResourceStates.Starting,
            Properties = s.Properties
                .With(LocalTlsProperties.Target, "host")
                .With(LocalTlsProperties.Executable, host.Executable)
                .With(LocalTlsProperties.Version, version)
                .With(LocalTlsProperties.Image, host.Image)
                .With(LocalTlsProperties.Fingerprint, host.Material!.RootFingerprint)
                .With(LocalTlsProperties.RootCertificate, new CaStore(host.Ca.CaStoreDirectory).RootCertificatePath),
        });
    }

    /// <summary>Shows the step-ca process's state on the CA: Running with its ACME directory, or why it stopped.</summary>
    private async Task MirrorAsync(HostCa host, IResource server, CancellationToken stopping)
    {
        var recent = new Queue<string>();
        // The CA's own console log: step-ca's requests one short line each, errors in full (see StepCaRequestLog).
        var caLog = resourceLoggers.GetLogger(host.Ca);
        // Followed by the name Aspire's orchestrator gives the process, known once it reports: asked for earlier,
        // the resource's log is read under its model name, where no line ever arrives.
        var followed = new HashSet<string>(StringComparer.Ordinal);
        void Follow(string resourceId) => _ = Task.Run(async () =>
        {
            // Aspire's own lines ("Waiting for resource ...") come before its "[sys] Starting process" line.
            var started = false;
            try
            {
                await foreach (var batch in resourceLoggers.WatchAsync(resourceId).WithCancellation(stopping))
                {
                    lock (recent)
                    {
                        foreach (var line in batch)
                        {
                            recent.Enqueue(line.Content);
                            if (recent.Count > 20)
                            {
                                recent.Dequeue();
                            }
                        }
                    }

                    foreach (var line in batch)
                    {
                        if (line.Content.Contains("[sys]", StringComparison.Ordinal))
                        {
                            started = true;
                        }
                        else if (started && StepCaRequestLog.Condense(line.Content) is { } condensed)
                        {
#pragma warning disable CA2254 // The line is step-ca's text, not a template.
                            caLog.Log(condensed.Level, "{Line}", condensed.Text);
#pragma warning restore CA2254
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Following step-ca's log for '{Name}' failed: {Message}", host.Ca.Name, ex.Message);
            }
        }, CancellationToken.None);

        try
        {
            string? last = null;
            // Aspire's Stop command shows "Stopping" before the process ends: the exit that follows was asked for.
            var stopAsked = false;
            await foreach (var update in notifications.WatchAsync(stopping))
            {
                if (!ReferenceEquals(update.Resource, server))
                {
                    continue;
                }

                if (followed.Add(update.ResourceId))
                {
                    Follow(update.ResourceId);
                }

                if (update.Snapshot.State?.Text is not { } state || state == last)
                {
                    continue;
                }

                last = state;
                host.ProcessState = state;
                // Kept until the exit it announces is seen: a Restart may report Starting before the old process's Finished.
                stopAsked = state == KnownResourceStates.Stopping || (stopAsked && state != KnownResourceStates.Running);
                var pid = update.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value?.ToString();
                if (state == KnownResourceStates.Running)
                {
                    if (!host.Announced)
                    {
                        // Once per run of the AppHost, not per restart of step-ca: what to do so browsers accept it.
                        host.Announced = true;
                        logger.LogInformation("step-ca '{Name}' issues from the root {Root}. Trust it once for browsers and tools: {Command}", host.Ca.Name, new CaStore(host.Ca.CaStoreDirectory).RootCertificatePath, TrustCommand(host.Ca));
                    }

                    if (host.Version is { } version)
                    {
                        // The process shows the version it runs beside Aspire's own executable path and arguments.
                        await notifications.PublishUpdateAsync(server, s => s with { Properties = s.Properties.With(LocalTlsProperties.Version, version) });
                    }

                    var directory = host.DirectoryUrl(null).ToString();
                    await notifications.PublishUpdateAsync(host.Ca, s => s with
                    {
                        State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                        StartTimeStamp = DateTime.UtcNow,
                        StopTimeStamp = null,
                        ExitCode = null,
                        Urls = [new UrlSnapshot("acme", directory, IsInternal: false)],
                        Properties = s.Properties
                            .With(LocalTlsProperties.AcmeDirectory, directory)
                            .With(LocalTlsProperties.Resolver, Dns(host)?.EndPoint.ToString() ?? "system")
                            .With(LocalTlsProperties.ProcessId, pid)
                            .With(LocalTlsProperties.Problem, null),
                    });
                    await PublishIssuersAsync(host.Ca, s => s.State?.Text == CaNotRunning
                        ? s with { State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success), Properties = s.Properties.With(LocalTlsProperties.Problem, null) }
                        : s);
                }
                else if (state is "Exited" or "Finished" or "FailedToStart" || state == KnownResourceStates.RuntimeUnhealthy)
                {
                    var asked = stopAsked;
                    stopAsked = false;
                    await ReportUnhealthyAsync(host.Ca, stopping);

                    // The exit can be reported before its last lines are streamed: read the whole log once more.
                    var lines = await LastLinesAsync(server, recent);
                    var problem = StoppedProblem(host, server, state, update.Snapshot.ExitCode, lines, asked);
                    if (IsStop(state, update.Snapshot.ExitCode, lines, asked))
                    {
                        logger.LogInformation("{Problem}", problem);
                    }
                    else
                    {
                        logger.LogError("{Problem}", problem);
                    }

                    var exitCode = update.Snapshot.ExitCode;
                    Task PublishStoppedAsync() => notifications.PublishUpdateAsync(host.Ca, s => s with
                    {
                        State = new ResourceStateSnapshot(state is "FailedToStart" or "RuntimeUnhealthy" ? KnownResourceStates.FailedToStart : KnownResourceStates.Exited, KnownResourceStateStyles.Error),
                        ExitCode = exitCode,
                        StopTimeStamp = DateTime.UtcNow,
                        Properties = s.Properties.With(LocalTlsProperties.Problem, problem),
                    });

                    if (asked)
                    {
                        // Restart is a Stop and a Start: only a stop that stays down reads as Exited, because a resource
                        // waiting for the CA (WaitFor) gives up on an Exited one. Meanwhile the CA reads Stopping.
                        var stoppedAs = state;
                        _ = Task.Run(async () =>
                        {
                            await Task.Delay(RestartGrace, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
                            if (!stopping.IsCancellationRequested && host.ProcessState == stoppedAs)
                            {
                                await PublishStoppedAsync();
                            }
                        }, CancellationToken.None);
                    }
                    else
                    {
                        await PublishStoppedAsync();
                    }
                }
                else if (state is "Starting" or "Waiting")
                {
                    await notifications.PublishUpdateAsync(host.Ca, s => s with { State = new ResourceStateSnapshot(state, KnownResourceStateStyles.Info) });
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            // Every failure ends in a visible state, never an unobserved task.
            logger.LogError(ex, "Following step-ca '{Name}' failed: {Message}", host.Ca.Name, ex.Message);
            await notifications.PublishUpdateAsync(host.Ca, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, $"LocalTls stopped following step-ca: {ex.Message}"),
            });
        }
    }

    /// <summary>The command that trusts a CA's root, naming its store when it is not the default one.</summary>
    internal static string TrustCommand(StepCaResource ca)
    {
        var store = new CaStore(ca.CaStoreDirectory).Directory;
        if (string.Equals(store, Path.GetFullPath(CaStore.DefaultDirectory()), StringComparison.Ordinal))
        {
            return "localtls trust install";
        }

        var quoted = store.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@%+".Contains(c)) ? store : "'" + store.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        return $"LOCALTLS_CAROOT={quoted} localtls trust install";
    }

    /// <summary>Says once, in the AppHost's log, which https URL a project serving a LocalTls certificate answers on.</summary>
    private async Task AnnounceUrlAsync(IResource served, CancellationToken stopping)
    {
        var certificate = served.Annotations.OfType<LocalTlsServingAnnotation>().Last().Certificate;
        if (certificate.Hostnames.Select(h => h.Hostname).FirstOrDefault(h => h is not null) is not { } hostname)
        {
            return;
        }

        try
        {
            var prefix = $"https://{hostname}:";
            var running = await notifications.WaitForResourceAsync(served.Name, e => e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.Urls.Any(u => u.Url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)), stopping);
            var url = running.Snapshot.Urls.First(u => u.Url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Url;
            logger.LogInformation("Open {Url}/ : '{Resource}' serves the certificate '{Certificate}' there.", url.TrimEnd('/'), served.Name, certificate.Name);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PublishIssuersAsync(StepCaResource ca, Func<CustomResourceSnapshot, CustomResourceSnapshot> update)
    {
        foreach (var issuer in _issuers.TryGetValue(ca, out var issuers) ? issuers : [])
        {
            await notifications.PublishUpdateAsync(issuer, update);
        }
    }

    /// <summary>
    /// Aspire stops checking a resource once it is Exited and keeps its last report, which would read Healthy next to
    /// Exited. A state change first (Stopping) makes it check at once; the check sees the process is down.
    /// </summary>
    private async Task ReportUnhealthyAsync(StepCaResource ca, CancellationToken stopping)
    {
        await notifications.PublishUpdateAsync(ca, s => s with { State = new ResourceStateSnapshot(KnownResourceStates.Stopping, KnownResourceStateStyles.Info) });
        // Its issuers cannot issue meanwhile; their new state likewise makes Aspire check them now.
        await PublishIssuersAsync(ca, s => s.State?.Text == KnownResourceStates.Running
            ? s with { State = new ResourceStateSnapshot(CaNotRunning, KnownResourceStateStyles.Error), Properties = s.Properties.With(LocalTlsProperties.Problem, $"Its step-ca '{ca.Name}' is not running: nothing can be issued until it runs again.") }
            : s);
        try
        {
            var names = new[] { ca.Name }.Concat(_issuers.TryGetValue(ca, out var issuers) ? issuers.Select(i => i.Name) : []);
            await Task.WhenAll(names.Select(name => notifications.WaitForResourceAsync(name, e => e.Snapshot.HealthReports.All(r => r.Status != HealthStatus.Healthy), stopping)))
                .WaitAsync(TimeSpan.FromSeconds(10), stopping);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("The health check of step-ca '{Name}' did not report its stopped process within 10 s.", ca.Name);
        }
    }

    private async Task<List<string>> LastLinesAsync(IResource server, Queue<string> recent)
    {
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await foreach (var batch in resourceLoggers.GetAllAsync(server).WithCancellation(timeout.Token))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
        }
        catch (OperationCanceledException)
        {
        }

        lock (recent)
        {
            if (lines.Count < recent.Count)
            {
                lines = [.. recent];
            }
        }

        // DCP's own "[sys]" lines say nothing about why step-ca stopped.
        return [.. lines.Where(l => !l.Contains("[sys]", StringComparison.Ordinal) && l.Trim().Length > 0)];
    }

    /// <summary>
    /// An exit nobody needs to debug: it followed Aspire's Stop, or step-ca ended cleanly (code 0) leaving only its
    /// database's shutdown housekeeping (badger's flush and compaction lines), which says nothing to the reader.
    /// </summary>
    internal static bool IsStop(string state, int? exitCode, IReadOnlyList<string> lines, bool stopAsked) =>
        state is "Exited" or "Finished"
        && !lines.Any(l => l.Contains("Cannot acquire directory lock", StringComparison.OrdinalIgnoreCase))
        && (stopAsked || (exitCode == 0 && lines.TakeLast(5).All(IsHousekeeping)));

    private static bool IsHousekeeping(string line) =>
        line.Contains("badger", StringComparison.OrdinalIgnoreCase)
        || line.Contains("compaction", StringComparison.OrdinalIgnoreCase)
        || line.Contains("shutting down", StringComparison.OrdinalIgnoreCase)
        || line.Contains("Lifetime L0 stalled", StringComparison.Ordinal)
        || line.Contains("Level ", StringComparison.Ordinal) && line.Contains("NumTables", StringComparison.Ordinal);

    private static string StoppedProblem(HostCa host, IResource server, string state, int? exitCode, List<string> lines, bool stopAsked)
    {
        if (IsStop(state, exitCode, lines, stopAsked))
        {
            return $"step-ca was stopped{(stopAsked ? " from the dashboard" : "")}; nothing is issued or renewed until it runs again. Use Start on '{server.Name}' to start it.";
        }

        var tail = string.Join(" | ", lines.TakeLast(3));
        var locked = lines.Any(l => l.Contains("Cannot acquire directory lock", StringComparison.OrdinalIgnoreCase));
        if (locked)
        {
            var holder = StaleStepCa.FindHolder(host.Ca.HostDataDirectory);
            return holder is { } pid
                ? $"Another step-ca (PID {pid}) still holds the database in {host.Ca.HostDataDirectory}, probably left over from an earlier run. Stop it ('kill {pid}'), then use Restart on '{server.Name}'."
                : $"Another process holds step-ca's database lock in {host.Ca.HostDataDirectory}. Stop the other step-ca that uses this directory, then use Restart on '{server.Name}'.";
        }

        if (state == KnownResourceStates.RuntimeUnhealthy)
        {
            return $"step-ca runs as the image {host.Image} because no step-ca binary was found, but the container runtime is not running. Start Docker or Podman, or install step-ca ('brew install step' on macOS, smallstep's package on Linux) and put it on PATH or set LOCALTLS_STEP_CA to its path.";
        }

        var what = state == "FailedToStart" ? "step-ca failed to start" : $"step-ca exited with code {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}";
        return $"{what}; its last lines: {tail}. Use Restart on '{server.Name}' to start it again.";
    }

    private async Task RunIssuerAsync(AcmeIssuerResource issuer, CancellationToken stopping)
    {
        try
        {
            await notifications.WaitForDependenciesAsync(issuer, stopping);
            var host = Get(issuer.Ca!)!;
            await notifications.PublishUpdateAsync(issuer, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                StartTimeStamp = DateTime.UtcNow,
                Properties = s.Properties.With(LocalTlsProperties.AcmeDirectory, host.DirectoryUrl(issuer.ProvisionerName).ToString()),
            });
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            await notifications.PublishUpdateAsync(issuer, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, $"Its step-ca '{issuer.Ca!.Name}' is not running: {ex.Message}"),
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _dns.Values)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>A CA placed on this machine, as decided when the app starts: its material, port and executable, or why it cannot run.</summary>
internal sealed record HostCa(StepCaResource Ca, CaMaterial? Material, int Port, SslipDnsResource Dns, string? Executable, string? Problem)
{
    /// <summary>The smallstep image (<c>image:tag</c>) that runs instead of <see cref="Executable"/> when no binary is found and a container runtime is configured.</summary>
    public string? Image { get; init; }

    /// <summary>Whether the AppHost's log has said how to trust this CA's root (once a run).</summary>
    public bool Announced { get; set; }

    /// <summary>What <c>step-ca version</c> printed for <see cref="Executable"/>.</summary>
    public string? Version { get; set; }

    /// <summary>The state of step-ca's process as Aspire last reported it (<c>Running</c>, <c>Exited</c>, …); null before it starts.</summary>
    public volatile string? ProcessState;

    /// <summary>The ACME directory of a provisioner (the CA's default when <see langword="null"/>): the one URL the dashboard shows and issuance uses.</summary>
    public Uri DirectoryUrl(string? provisioner) =>
        StepCaConfig.AcmeDirectoryUrl(new Uri($"https://127.0.0.1:{Port}"), provisioner ?? Ca.DefaultProvisionerName);
}

/// <summary>Finds the step-ca executable; a service, so tests can give it another environment.</summary>
internal class StepCaLocator(Func<string, string?> environment)
{
    public StepCaLocator()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    public string Locate(string? explicitPath) => StepCaExecutable.Locate(explicitPath, environment);
}
