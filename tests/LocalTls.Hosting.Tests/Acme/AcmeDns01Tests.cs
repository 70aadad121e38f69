using System.Security.Cryptography.X509Certificates;
using LocalTls.Acme;

namespace LocalTls.Tests.Acme;

/// <summary>Our ACME client against the real step-ca, solving dns-01 through <see cref="LocalTls.Sslip.SslipDnsServer"/>: no port 80 needed.</summary>
public class AcmeDns01Tests
{
    [Fact]
    public async Task Dns01_issues_a_certificate_without_port_80_and_removes_the_txt_record()
    {
        const string name = "dns.127.0.0.1.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        var solver = new RecordingSolver(new Dns01ChallengeSolver(bed.Dns), bed);

        var issued = await AcmeIssuance.IssueAsync([name], solver, bed.IssueOptions(), ct);

        Assert.Equal(AcmeChallengeTypes.Dns01, issued.ChallengeType);
        var record = Assert.Single(solver.Published);
        Assert.Equal($"_acme-challenge.{name}", record.Name);
        Assert.Equal([record.Value], record.SeenWhilePublished);
        Assert.Empty(bed.Dns.GetTxt(record.Name));
        await AcmeCheck.WithOpenSslAsync(bed, issued, name, name);
        AcmeCheck.WithDotNetChain(bed, issued);
        var challenge = await bed.WaitForLogAsync(l => l.Contains("path=/acme/acme/challenge/", StringComparison.Ordinal) && l.Contains("\\\"type\\\":\\\"dns-01\\\",\\\"status\\\":\\\"valid\\\"", StringComparison.Ordinal));
        Assert.True(challenge is not null, $"no valid dns-01 challenge in step-ca's log. {bed.LogTail()}");
    }

    [Fact]
    public async Task Dns01_issues_a_wildcard_certificate_with_the_base_name()
    {
        const string wildcard = "*.127.0.0.1.sslip.io";
        const string apex = "127.0.0.1.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        var solver = new RecordingSolver(new Dns01ChallengeSolver(bed.Dns), bed);

        var issued = await AcmeIssuance.IssueAsync([wildcard, apex], solver, bed.IssueOptions(), ct);

        // Both authorizations ask for the same TXT name (the wildcard's without "*."), with two values at once.
        Assert.Equal(2, solver.Published.Count);
        Assert.All(solver.Published, r => Assert.Equal($"_acme-challenge.{apex}", r.Name));
        Assert.Equal(2, solver.Published.Select(r => r.Value).Distinct().Count());
        // One value answers the wildcard's authorization, the other the apex's.
        Assert.Equal([false, true], solver.Published.Select(r => r.Wildcard).Order());
        await AcmeCheck.WithOpenSslAsync(bed, issued, "anything.127.0.0.1.sslip.io", wildcard, apex);
        AcmeCheck.WithDotNetChain(bed, issued);
        using var leaf = issued.GetCertificate();
        Assert.Equal($"CN={wildcard}", leaf.Subject);
        Assert.True(leaf.MatchesHostname("anything.127.0.0.1.sslip.io"));
        Assert.False(leaf.MatchesHostname("a.b.127.0.0.1.sslip.io"));
    }

    [Fact]
    public async Task A_wildcard_with_an_http01_solver_is_refused_before_any_order()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        await using var http = Http01ChallengeServer.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));

        var e = await Assert.ThrowsAsync<AcmeException>(() => AcmeIssuance.IssueAsync(["*.127.0.0.1.sslip.io"], http, bed.IssueOptions(), ct));

        Assert.Contains("only with dns-01", e.Message);
        Assert.DoesNotContain(bed.Log, l => l.Contains("path=/acme/acme/new-order", StringComparison.Ordinal));
    }

    [Fact]
    public void The_automatic_choice_takes_dns01_for_wildcards_and_when_port_80_is_not_bindable()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var takenEndPoint = (System.Net.IPEndPoint)taken.LocalEndpoint;
        var free = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0);

        Assert.Equal(AcmeChallengeTypes.Dns01, AcmeIssuance.ChooseChallengeType(["*.127.0.0.1.sslip.io"], true, free, out var reason));
        Assert.Contains("wildcard", reason);
        Assert.Equal(AcmeChallengeTypes.Dns01, AcmeIssuance.ChooseChallengeType(["app.127.0.0.1.sslip.io"], true, takenEndPoint, out reason));
        Assert.Contains("already uses it", reason);
        Assert.Equal(AcmeChallengeTypes.Http01, AcmeIssuance.ChooseChallengeType(["app.127.0.0.1.sslip.io"], false, takenEndPoint, out reason));
        Assert.Contains("no DNS server", reason);
        Assert.Equal(AcmeChallengeTypes.Http01, AcmeIssuance.ChooseChallengeType(["app.127.0.0.1.sslip.io"], true, free, out _));
    }

    internal sealed record Published(string Name, string Value, bool Wildcard, IReadOnlyList<string> SeenWhilePublished);

    /// <summary>Wraps a solver and records what it published, and what the DNS server held while the CA validated.</summary>
    internal sealed class RecordingSolver(IAcmeChallengeSolver inner, AcmeTestbed bed) : IAcmeChallengeSolver
    {
        private readonly List<Published> _published = [];

        public IReadOnlyList<Published> Published => _published;

        public string ChallengeType => inner.ChallengeType;

        public async Task PrepareAsync(AcmeChallengeWork work, CancellationToken cancellationToken)
        {
            await inner.PrepareAsync(work, cancellationToken);
            _published.Add(new Published(work.DnsRecordName, work.DnsRecordValue, work.Authorization.Wildcard, bed.Dns.GetTxt(work.DnsRecordName).Where(v => v == work.DnsRecordValue).ToList()));
        }

        public Task CleanupAsync(AcmeChallengeWork work, CancellationToken cancellationToken) => inner.CleanupAsync(work, cancellationToken);
    }
}
