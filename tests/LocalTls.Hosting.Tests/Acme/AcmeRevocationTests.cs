using LocalTls.Acme;

namespace LocalTls.Tests.Acme;

/// <summary>Revocation against the real step-ca: the revoked path of a certificate's life.</summary>
public class AcmeRevocationTests
{
    [Fact]
    public async Task A_revoked_certificate_cannot_be_revoked_again_and_the_problem_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        var options = bed.IssueOptions();
        var issued = await AcmeIssuance.IssueAsync(["revoke.127.0.0.1.sslip.io"], new Dns01ChallengeSolver(bed.Dns), options, ct);
        using var key = AcmeAccountKey.LoadOrCreate(AcmeIssuance.ResolveAccountKeyPath(options), out var created);
        Assert.False(created, "the issuance above created the account key");
        using var client = new AcmeClient(options.DirectoryUrl, key, options.Client);
        await client.CreateAccountAsync(cancellationToken: ct);

        await client.RevokeCertificateAsync(issued.CertificateChainPem, reason: 1, ct);
        var again = await Assert.ThrowsAsync<AcmeException>(() => client.RevokeCertificateAsync(issued.CertificateChainPem, cancellationToken: ct));
        Assert.Equal(AcmeProblem.AlreadyRevoked, again.Problem?.Type);
        Assert.Contains("revoke", again.Message, StringComparison.OrdinalIgnoreCase);

        Assert.Throws<ArgumentOutOfRangeException>(() => client.RevokeCertificateAsync(issued.CertificateChainPem, reason: 7, ct).GetAwaiter().GetResult());
    }
}
