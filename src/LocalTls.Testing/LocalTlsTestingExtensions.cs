using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace LocalTls.Testing;

/// <summary>
/// Waits for LocalTls resources in an app started with Aspire.Hosting.Testing, and reads what they issued from the
/// properties they show on the dashboard.
/// </summary>
public static class LocalTlsTestingExtensions
{
    // The documented dashboard properties of LocalTls resources.
    private const string Problem = "localtls.problem";
    private const string Serial = "localtls.serial";
    private const string NotAfter = "localtls.notAfter";
    private const string Files = "localtls.files";
    private const string RootCertificate = "localtls.rootCertificate";

    /// <summary>The wait when none is given: long enough for a first issuance on a slow CI runner.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Waits until the certificate resource <paramref name="name"/> is issued (<c>Running</c>), and returns it.
    /// Fails as soon as it turns <c>FailedToStart</c>, with the ACME problem it shows.
    /// </summary>
    /// <param name="app">An app started with <c>DistributedApplicationTestingBuilder</c>.</param>
    /// <param name="name">The certificate resource's name (<c>AddCertificate(name, ...)</c>).</param>
    /// <param name="timeout">How long to wait; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">The certificate could not be issued; the message holds the problem.</exception>
    /// <exception cref="TimeoutException">It was not issued within <paramref name="timeout"/>; the message holds its last state.</exception>
    /// <example>
    /// <code>
    /// await app.StartAsync();
    /// var issued = await app.WaitForCertificateAsync("web-tls", TimeSpan.FromMinutes(1));
    /// Console.WriteLine($"{issued.SerialNumber} valid until {issued.NotAfter:u}");
    /// </code>
    /// </example>
    public static async Task<LocalTlsIssuedCertificate> WaitForCertificateAsync(this DistributedApplication app, string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var ready = await WaitAsync(app, name, "certificate", e => e.Snapshot.State?.Text == KnownResourceStates.Running && Property(e, Serial) is not null, timeout, cancellationToken);
        return new LocalTlsIssuedCertificate(
            name,
            Property(ready, Serial)!,
            DateTimeOffset.Parse(Property(ready, NotAfter) ?? throw Missing(name, NotAfter), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            Property(ready, Files) ?? throw Missing(name, Files));
    }

    /// <summary>
    /// Waits until every named certificate is issued, all within one <paramref name="timeout"/>; fails on the first
    /// that cannot be issued.
    /// </summary>
    /// <param name="app">An app started with <c>DistributedApplicationTestingBuilder</c>.</param>
    /// <param name="names">The certificate resources' names.</param>
    /// <param name="timeout">How long to wait for all of them; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">A certificate could not be issued; the message holds the problem.</exception>
    /// <exception cref="TimeoutException">Not all were issued within <paramref name="timeout"/>.</exception>
    /// <example>
    /// <code>
    /// var issued = await app.WaitForCertificatesAsync(["web-tls", "api-tls"]);
    /// </code>
    /// </example>
    public static async Task<IReadOnlyList<LocalTlsIssuedCertificate>> WaitForCertificatesAsync(this DistributedApplication app, IEnumerable<string> names, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = names.Select(n => app.WaitForCertificateAsync(n, timeout, linked.Token)).ToList();
        var pending = waits.ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (!done.IsCompletedSuccessfully)
            {
                // The first failure ends the wait; the others are not waited for.
                await linked.CancelAsync();
                await done;
            }
        }

        return [.. waits.Select(w => w.Result)];
    }

    /// <summary>
    /// Waits until the step-ca resource <paramref name="caName"/> runs and returns its root, from which
    /// <see cref="LocalTlsRoot.CreateHttpClient"/> makes a client that trusts exactly that root.
    /// </summary>
    /// <param name="app">An app started with <c>DistributedApplicationTestingBuilder</c>.</param>
    /// <param name="caName">The CA resource's name (<c>AddStepCa(name)</c>).</param>
    /// <param name="timeout">How long to wait; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">The CA failed to start; the message holds the problem.</exception>
    /// <exception cref="TimeoutException">The CA did not run within <paramref name="timeout"/>.</exception>
    /// <example>
    /// <code>
    /// var root = await app.GetLocalTlsRootAsync("step-ca");
    /// using var client = root.CreateHttpClient();
    /// var response = await client.GetAsync("https://web.127.0.0.1.sslip.io:7443/");
    /// </code>
    /// </example>
    public static async Task<LocalTlsRoot> GetLocalTlsRootAsync(this DistributedApplication app, string caName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(caName);
        var running = await WaitAsync(app, caName, "CA", e => e.Snapshot.State?.Text == KnownResourceStates.Running && Property(e, RootCertificate) is not null, timeout, cancellationToken);
        return new LocalTlsRoot(await File.ReadAllTextAsync(Property(running, RootCertificate)!, cancellationToken));
    }

    private static async Task<ResourceEvent> WaitAsync(DistributedApplication app, string name, string kind, Func<ResourceEvent, bool> ready, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var limit = timeout ?? DefaultTimeout;
        using var timer = new CancellationTokenSource(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        ResourceEvent result;
        try
        {
            result = await app.ResourceNotifications.WaitForResourceAsync(name, e => ready(e) || IsFailed(e), linked.Token);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var last = app.ResourceNotifications.TryGetCurrentState(name, out var current)
                ? $"it is '{current.Snapshot.State?.Text ?? "unknown"}'{(Property(current, Problem) is { } p ? $": {p}" : "")}"
                : "no resource of that name has reported a state (check the name)";
            throw new TimeoutException($"The {kind} '{name}' was not ready within {limit}; {last}.");
        }

        if (!ready(result))
        {
            throw new InvalidOperationException($"The {kind} '{name}' is '{result.Snapshot.State?.Text}': {Property(result, Problem) ?? "no problem was reported; see its console log."}");
        }

        return result;
    }

    private static bool IsFailed(ResourceEvent e) =>
        e.Snapshot.State?.Text is { } state && (state == KnownResourceStates.FailedToStart || state == KnownResourceStates.Exited || state == KnownResourceStates.Finished);

    private static InvalidOperationException Missing(string name, string property) =>
        new($"The certificate '{name}' is Running but shows no '{property}'; is it issued by a LocalTls issuer on this machine?");

    private static string? Property(ResourceEvent e, string name) =>
        e.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString();
}
