using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Pki;
using LocalTls.Sslip;
using LocalTls.StepCa;
using Microsoft.Extensions.Logging;

namespace LocalTls.Host;

/// <summary>
/// The host target's orchestration: runs the sslip.io DNS responders and step-ca processes of the app on this
/// machine and publishes their state. One per app; everything it started is stopped when the app stops.
/// </summary>
internal sealed class StepCaHostRunner : IAsyncDisposable
{
    private readonly ConcurrentDictionary<SslipDnsResource, TaskCompletionSource<SslipDnsServer>> _dns = new();
    private readonly ConcurrentDictionary<StepCaResource, StepCaProcess> _cas = new();
    private readonly ConcurrentDictionary<StepCaResource, TaskCompletionSource<HostCa>> _running = new();
    private readonly ConcurrentDictionary<StepCaResource, (InitializeResourceEvent Event, int Port)> _started = new();
    private volatile bool _disposing;

    /// <summary>Waits until the CA answers; throws <see cref="InvalidOperationException"/> when it failed to start.</summary>
    public Task<HostCa> WaitForRunningAsync(StepCaResource ca, CancellationToken cancellationToken) =>
        Running(ca).Task.WaitAsync(cancellationToken);

    private TaskCompletionSource<HostCa> Running(StepCaResource ca) =>
        _running.GetOrAdd(ca, _ => new TaskCompletionSource<HostCa>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Where a running step-ca answers, and its material; for health checks and issuance.</summary>
    public bool TryGetRunning(StepCaResource ca, out StepCaProcess process) => _cas.TryGetValue(ca, out process!);

    public async Task StartDnsAsync(SslipDnsResource resource, InitializeResourceEvent e, CancellationToken cancellationToken)
    {
        var started = _dns.GetOrAdd(resource, _ => new TaskCompletionSource<SslipDnsServer>(TaskCreationOptions.RunContinuationsAsynchronously));
        await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Starting });
        try
        {
            var server = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = resource.EndPoint });
            started.TrySetResult(server);
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
            started.TrySetException(ex);
            e.Logger.LogError("{Message}", ex.Message);
            await e.Notifications.PublishUpdateAsync(resource, s => s with { State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error) });
        }
    }

    public async Task StartCaAsync(StepCaResource ca, InitializeResourceEvent e, CancellationToken cancellationToken)
    {
        await e.Notifications.PublishUpdateAsync(ca, s => s with { State = KnownResourceStates.Starting });
        try
        {
            var executable = StepCaProcess.LocateExecutable(ca.ExecutablePath);
            string? resolver = null;
            SslipDnsServer? dnsServer = null;
            if (ca.Dns is { } dns)
            {
                await e.Notifications.PublishUpdateAsync(ca, s => s with { State = new ResourceStateSnapshot(KnownResourceStates.Waiting, KnownResourceStateStyles.Info) });
                dnsServer = await _dns.GetOrAdd(dns, _ => new TaskCompletionSource<SslipDnsServer>(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(cancellationToken);
                resolver = dnsServer.EndPoint.ToString();
            }

            var material = StepCaMaterial.Load(ca);
            var directory = ca.DataDirectory ?? Path.Combine(new CaStore(ca.CaStoreDirectory).Directory, "step-ca", ca.Name);
            // A restart keeps the port, so URLs and issuers stay valid.
            var port = _started.TryGetValue(ca, out var before) ? before.Port : ca.HostPort != 0 ? ca.HostPort : LoopbackPort.GetFree(IPAddress.Loopback);
            _started[ca] = (e, port);
            var options = StepCaKubernetesRenderer.OptionsFor(ca);
            options.Address = $"127.0.0.1:{port}";
            options.DnsNames = ["127.0.0.1", "localhost", .. ca.ExtraDnsNames.Where(n => n is not "127.0.0.1" and not "localhost")];
            var files = StepCaFiles.Write(StepCaLayout.Host(directory), options, material.WithoutRootKey());
            var process = await StepCaProcess.StartAsync(new StepCaProcessOptions
            {
                Layout = files.Layout,
                ExecutablePath = executable,
                Resolver = resolver,
                PasswordFile = files.PasswordProtected,
                TrustedRootPem = material.RootCertificatePem,
                OnLog = line =>
                {
                    if (line.IsStandardError)
                    {
                        e.Logger.LogWarning("{Line}", line.Text);
                    }
                    else
                    {
                        e.Logger.LogInformation("{Line}", line.Text);
                    }
                },
            }, cancellationToken);
            _cas[ca] = process;
            _ = WatchExitAsync(ca, process, e);

            var baseUrl = new Uri($"https://127.0.0.1:{port}");
            var directoryUrl = StepCaConfig.AcmeDirectoryUrl(baseUrl, ca.DefaultProvisionerName);
            if (ca.Trust is { } trust && !trust.Certificates.Cast<System.Security.Cryptography.X509Certificates.X509Certificate2>().Any(c => c.Thumbprint == material.GetRootCertificate().Thumbprint))
            {
                // Read when each dependent resource starts; they all wait for this CA first.
                trust.Certificates.Add(material.GetRootCertificate());
            }

            Running(ca).TrySetResult(new HostCa(directoryUrl, material, dnsServer));
            await e.Notifications.PublishUpdateAsync(ca, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                StartTimeStamp = DateTime.UtcNow,
                ExitCode = null,
                Urls = [new UrlSnapshot("acme", directoryUrl.ToString(), IsInternal: false)],
                Properties = s.Properties
                    .With(LocalTlsProperties.AcmeDirectory, directoryUrl.ToString())
                    .With(LocalTlsProperties.Fingerprint, material.RootFingerprint)
                    .With(LocalTlsProperties.RootCertificate, new CaStore(ca.CaStoreDirectory).RootCertificatePath)
                    .With(LocalTlsProperties.Target, "host")
                    .With(LocalTlsProperties.Resolver, resolver ?? "system")
                    .With(LocalTlsProperties.ProcessId, process.ProcessId)
                    .With(LocalTlsProperties.Problem, null),
            });
        }
        catch (Exception ex) when (ex is StepCaException or PkiException or IOException or InvalidOperationException or ArgumentException or SocketException)
        {
            Running(ca).TrySetException(new InvalidOperationException($"The step-ca '{ca.Name}' did not start: {ex.Message}", ex));
            e.Logger.LogError("{Message}", ex.Message);
            await e.Notifications.PublishUpdateAsync(ca, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
            });
        }
    }

    /// <summary>Starts a stopped or crashed step-ca again on the same port; for the dashboard's Restart command.</summary>
    public async Task<bool> RestartAsync(StepCaResource ca, CancellationToken cancellationToken)
    {
        if (!_started.TryGetValue(ca, out var started))
        {
            return false;
        }

        if (_cas.TryRemove(ca, out var old))
        {
            await old.DisposeAsync();
        }

        if (Running(ca).Task.IsCompleted)
        {
            _running[ca] = new TaskCompletionSource<HostCa>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        await StartCaAsync(ca, started.Event, cancellationToken);
        return _cas.ContainsKey(ca);
    }

    private async Task WatchExitAsync(StepCaResource ca, StepCaProcess process, InitializeResourceEvent e)
    {
        await process.WaitForExitAsync();
        if (_disposing || !_cas.TryGetValue(ca, out var current) || !ReferenceEquals(current, process))
        {
            return;
        }

        _cas.TryRemove(ca, out _);
        // Certificates wait again until a restart brings the CA back.
        _running[ca] = new TaskCompletionSource<HostCa>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tail = string.Join(" | ", process.RecentLog.TakeLast(3).Select(l => l.Text));
        var problem = $"step-ca exited with code {process.ExitCode}; its last lines: {tail}. Use the Restart command to start it again.";
        e.Logger.LogError("{Problem}", problem);
        await e.Notifications.PublishUpdateAsync(ca, s => s with
        {
            State = new ResourceStateSnapshot(KnownResourceStates.Exited, KnownResourceStateStyles.Error),
            ExitCode = process.ExitCode,
            StopTimeStamp = DateTime.UtcNow,
            Properties = s.Properties.With(LocalTlsProperties.Problem, problem),
        });
    }

    public async ValueTask DisposeAsync()
    {
        _disposing = true;
        foreach (var process in _cas.Values)
        {
            await process.DisposeAsync();
        }

        foreach (var started in _dns.Values)
        {
            if (started.Task.IsCompletedSuccessfully)
            {
                await started.Task.Result.DisposeAsync();
            }
        }
    }
}

/// <summary>A running host-mode step-ca: where its ACME directory is, its CA, and the DNS responder it resolves through.</summary>
internal sealed record HostCa(Uri DirectoryUrl, CaMaterial Material, SslipDnsServer? Dns);
