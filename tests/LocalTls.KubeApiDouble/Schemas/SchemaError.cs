namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>One reason the API server would refuse an object.</summary>
/// <param name="Subject">Which object: <c>Kind/name</c>, prefixed with <c>#n</c> for the n-th document of a multi-document input.</param>
/// <param name="Pointer">JSON pointer into the object (RFC 6901); empty for the whole object.</param>
/// <param name="Message">What is wrong there.</param>
public sealed record SchemaError(string Subject, string Pointer, string Message)
{
    public override string ToString() => $"{Subject} {(Pointer.Length == 0 ? "(root)" : Pointer)}: {Message}";
}

/// <summary>An apiVersion and kind, split the way Kubernetes indexes its schemas.</summary>
public readonly record struct GroupVersionKind(string Group, string Version, string Kind)
{
    /// <summary><c>v1</c> for the core group, <c>group/version</c> otherwise.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public static GroupVersionKind Parse(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0
            ? new GroupVersionKind("", apiVersion, kind)
            : new GroupVersionKind(apiVersion[..slash], apiVersion[(slash + 1)..], kind);
    }

    public override string ToString() => $"{ApiVersion} {Kind}";
}
