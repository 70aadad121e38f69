using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Schemas;

/// <summary>The name rules the API server enforces in code (k8s.io/apimachinery/pkg/util/validation).</summary>
public class ObjectNamesTests
{
    [Theory]
    [InlineData("step-ca", true)]
    [InlineData("web.127-0-0-1.sslip.io", true)]
    [InlineData("a", true)]
    [InlineData("0abc", true)]
    [InlineData("My_App", false)]
    [InlineData("UPPER", false)]
    [InlineData("-x", false)]
    [InlineData("x-", false)]
    [InlineData("a..b", false)]
    [InlineData("", false)]
    [InlineData("trailing\n", false)]
    public void Dns1123_subdomain(string name, bool valid) => Assert.Equal(valid, ObjectNames.IsDns1123Subdomain(name));

    [Fact]
    public void Length_limits()
    {
        Assert.True(ObjectNames.IsDns1123Subdomain(new string('a', 253)));
        Assert.False(ObjectNames.IsDns1123Subdomain(new string('a', 254)));
        Assert.True(ObjectNames.IsDns1123Label(new string('a', 63)));
        Assert.False(ObjectNames.IsDns1123Label(new string('a', 64)));
        Assert.False(ObjectNames.IsDns1123Label("a.b"));
    }

    [Fact]
    public void Dns1035_label_starts_with_a_letter()
    {
        Assert.True(ObjectNames.IsDns1035Label("step-ca"));
        Assert.False(ObjectNames.IsDns1035Label("9000-ca"));
    }

    [Theory]
    [InlineData("app", true)]
    [InlineData("app.kubernetes.io/name", true)]
    [InlineData("cert-manager.io/cluster-issuer", true)]
    [InlineData("Has_Upper.ok", true)]
    [InlineData("a/b/c", false)]
    [InlineData("/name", false)]
    [InlineData("Bad_Prefix/name", false)]
    [InlineData("bad key", false)]
    public void Qualified_names(string key, bool valid) => Assert.Equal(valid, !ObjectNames.QualifiedNameProblems(key).Any());
}
