using LocalTls.Sslip;

namespace LocalTls.Acme;

/// <summary>
/// Solves dns-01 through an <see cref="SslipDnsServer"/>: sets the TXT record <c>_acme-challenge.{name}</c> while
/// the CA validates, then removes it. The CA must resolve through that server (step-ca: <c>--resolver
/// 127.0.0.1:{port}</c>). Needs no port 80, and is the only way to validate wildcard names.
/// </summary>
/// <example>
/// <code>
/// await using var dns = SslipDnsServer.Start();
/// var issued = await client.IssueAsync(["*.127.0.0.1.sslip.io"], new Dns01ChallengeSolver(dns));
/// </code>
/// </example>
internal sealed class Dns01ChallengeSolver : IAcmeChallengeSolver
{
    private readonly SslipDnsServer _server;

    /// <summary>Creates a solver that publishes through <paramref name="server"/> (which the caller keeps and disposes).</summary>
    /// <param name="server">The DNS server the CA resolves through.</param>
    public Dns01ChallengeSolver(SslipDnsServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = server;
    }

    /// <inheritdoc />
    public string ChallengeType => AcmeChallengeTypes.Dns01;

    /// <inheritdoc />
    public Task PrepareAsync(AcmeChallengeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        _server.SetTxt(work.DnsRecordName, work.DnsRecordValue);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task CleanupAsync(AcmeChallengeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        _server.RemoveTxt(work.DnsRecordName, work.DnsRecordValue);
        return Task.CompletedTask;
    }
}
