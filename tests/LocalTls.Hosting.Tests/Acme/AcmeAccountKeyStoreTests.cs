using LocalTls.Acme;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Acme;

/// <summary>The account key a host-mode CA's certificates use: one per CA and provisioner, created once even when certificates start together.</summary>
public class AcmeAccountKeyStoreTests
{
    [Fact]
    public void The_account_key_path_follows_the_ca_and_provisioner_not_the_port()
    {
        var first = AcmeAccountKey.PathForCa("/store", "0123456789abcdef0123", new Uri("https://127.0.0.1:41000/acme/acme/directory"));
        var second = AcmeAccountKey.PathForCa("/store", "0123456789abcdef0123", new Uri("https://127.0.0.1:52000/acme/acme/directory"));
        Assert.Equal(first, second);
        Assert.NotEqual(first, AcmeAccountKey.PathForCa("/store", "0123456789abcdef0123", new Uri("https://127.0.0.1:41000/acme/acme-long/directory")));
        Assert.NotEqual(first, AcmeAccountKey.PathForCa("/store", "fedcba9876543210fedc", new Uri("https://127.0.0.1:41000/acme/acme/directory")));
        Assert.DoesNotContain("41000", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certificates_starting_together_get_one_account_key()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("acme", "ca", "account.key");
        var created = 0;
        var thumbprints = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() =>
        {
            using var key = AcmeAccountKey.LoadOrCreate(path, out var made);
            if (made)
            {
                Interlocked.Increment(ref created);
            }

            return key.Thumbprint;
        })));
        Assert.Equal(1, created);
        Assert.Single(thumbprints.Distinct());
        Assert.False(File.Exists(path + ".lock"));
    }
}
