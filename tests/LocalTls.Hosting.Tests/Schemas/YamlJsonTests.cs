using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Schemas;

/// <summary>YAML is read with the scalar types kubectl gives it (go-yaml v2, YAML 1.1).</summary>
public class YamlJsonTests
{
    [Theory]
    [InlineData("2", "2")]
    [InlineData("\"2\"", "\"2\"")]
    [InlineData("'2'", "\"2\"")]
    [InlineData("-17", "-17")]
    [InlineData("0x1F", "31")]
    [InlineData("0755", "493")]
    [InlineData("1_000", "1000")]
    [InlineData("1.5", "1.5")]
    [InlineData("1e3", "1000")]
    [InlineData("true", "true")]
    [InlineData("yes", "true")]
    [InlineData("On", "true")]
    [InlineData("no", "false")]
    [InlineData("\"no\"", "\"no\"")]
    [InlineData("~", "null")]
    [InlineData("null", "null")]
    [InlineData("", "null")]
    [InlineData("2160h", "\"2160h\"")]
    [InlineData("1.2.3", "\"1.2.3\"")]
    [InlineData("!!str 2", "\"2\"")]
    [InlineData("!!int \"2\"", "2")]
    [InlineData("18446744073709551615", "18446744073709551615")]
    public void Scalars_resolve_as_in_kubectl(string yaml, string json)
    {
        var node = YamlJson.Parse($"v: {yaml}")!;
        Assert.Equal($$"""{"v":{{json}}}""", node.ToJsonString());
    }

    [Fact]
    public void Multi_document_stream_keeps_empty_documents_as_null()
    {
        var documents = YamlJson.ParseAll("a: 1\n---\n---\nb: [x, 2]\n");
        Assert.Equal(3, documents.Count);
        Assert.Equal("""{"a":1}""", documents[0]!.ToJsonString());
        Assert.Null(documents[1]);
        Assert.Equal("""{"b":["x",2]}""", documents[2]!.ToJsonString());
    }

    [Fact]
    public void Block_scalars_are_strings()
    {
        var node = YamlJson.Parse("pem: |\n  -----BEGIN-----\n  abc\nn: >\n  12\n")!;
        Assert.Equal("-----BEGIN-----\nabc\n", (string?)node["pem"]);
        Assert.Equal("12\n", (string?)node["n"]);
    }

    [Fact]
    public void Duplicate_keys_and_bad_YAML_are_errors()
    {
        Assert.Throws<FormatException>(() => YamlJson.Parse("a: 1\na: 2\n"));
        Assert.Throws<FormatException>(() => YamlJson.Parse("a: [1, 2\n"));
        Assert.Throws<FormatException>(() => YamlJson.Parse("v: .inf"));
    }
}
