using System.Net;
using LocalTls.Acme;

namespace LocalTls.Tests.Acme;

/// <summary>
/// Our ACME client against the real step-ca, solving http-01 with <see cref="Http01ChallengeServer"/> on
/// 127.0.0.1:80 (step-ca resolves the sslip.io name through our DNS server and fetches port 80 of 127.0.0.1).
/// </summary>
[Collection(Port80.Collection)]
public class AcmeHttp01Tests
{
    [Fact]
    public async Task Http01_issues_a_certificate_for_an_sslip_name_that_chains_to_our_root()
    {
        const string name = "app.127.0.0.1.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        Port80.RequireBindable();
        await using var http = Http01ChallengeServer.Start();

        var issued = await AcmeIssuance.IssueAsync([name], http, bed.IssueOptions(), ct);

        Assert.Equal(AcmeChallengeTypes.Http01, issued.ChallengeType);
        Assert.True(http.AnsweredCount >= 1, $"step-ca never fetched the key authorization from {http.EndPoint}. {bed.LogTail()}");
        Assert.True(bed.Dns.AnsweredCount > 0, $"step-ca did not resolve {name} through our DNS server. {bed.LogTail()}");
        await AcmeCheck.WithOpenSslAsync(bed, issued, name, name);
        AcmeCheck.WithDotNetChain(bed, issued);
        using var leaf = issued.GetCertificate();
        Assert.Equal($"CN={name}", leaf.Subject);
        Assert.Equal($"CN={AcmeCheck.IntermediateCommonName}", leaf.Issuer);

        // step-ca logged the valid http-01 challenge.
        var challenge = await bed.WaitForLogAsync(l => l.Contains("path=/acme/acme/challenge/", StringComparison.Ordinal) && l.Contains("\\\"type\\\":\\\"http-01\\\",\\\"status\\\":\\\"valid\\\"", StringComparison.Ordinal));
        Assert.True(challenge is not null, $"no valid http-01 challenge in step-ca's log. {bed.LogTail()}");
    }

    [Fact]
    public async Task Http01_issues_for_an_ip_address_and_a_name_together_with_a_requested_lifetime()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        Port80.RequireBindable();
        await using var http = Http01ChallengeServer.Start();
        var options = bed.IssueOptions();

        var issued = await AcmeIssuance.IssueAsync(
            ["web.127.0.0.1.sslip.io", "127.0.0.1"], http,
            new AcmeIssueOptions { DirectoryUrl = options.DirectoryUrl, Client = options.Client, CaRoot = options.CaRoot, Lifetime = TimeSpan.FromHours(1) },
            ct);

        Assert.Equal([new AcmeIdentifier("dns", "web.127.0.0.1.sslip.io"), new AcmeIdentifier("ip", "127.0.0.1")], issued.Identifiers);
        using var leaf = issued.GetCertificate();
        var san = leaf.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["web.127.0.0.1.sslip.io"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback], san.EnumerateIPAddresses());
        var lifetime = leaf.NotAfter.ToUniversalTime() - DateTime.UtcNow;
        Assert.InRange(lifetime, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
        AcmeCheck.WithDotNetChain(bed, issued);
    }

    [Fact]
    public async Task A_wrong_key_authorization_fails_at_once_with_the_rejectedIdentifier_problem()
    {
        const string name = "wrong.127.0.0.1.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        Port80.RequireBindable();
        await using var http = Http01ChallengeServer.Start();
        var started = DateTime.UtcNow;

        var e = await Assert.ThrowsAsync<AcmeException>(() => AcmeIssuance.IssueAsync([name], new WrongAnswer(http), bed.IssueOptions(timeout: TimeSpan.FromSeconds(20)), ct));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"took {DateTime.UtcNow - started}; an invalid challenge should fail at once");
        Assert.False(e.IsTimeout);
        Assert.Equal(AcmeProblem.RejectedIdentifier, e.Problem?.Type);
        Assert.Contains($"The http-01 validation of {name} failed", e.Message);
        Assert.Contains("urn:ietf:params:acme:error:rejectedIdentifier", e.Message);
        Assert.Contains("does not match the key authorization", e.Message);
        Assert.Equal(1, http.AnsweredCount);
    }

    /// <summary>Publishes a wrong key authorization through a real http-01 server.</summary>
    private sealed class WrongAnswer(Http01ChallengeServer server) : IAcmeChallengeSolver
    {
        public string ChallengeType => AcmeChallengeTypes.Http01;

        public Task PrepareAsync(AcmeChallengeWork work, CancellationToken cancellationToken)
        {
            server.Add(work.Token, work.Token + ".not-the-thumbprint");
            return Task.CompletedTask;
        }

        public Task CleanupAsync(AcmeChallengeWork work, CancellationToken cancellationToken)
        {
            server.Remove(work.Token);
            return Task.CompletedTask;
        }
    }
}
