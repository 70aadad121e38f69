using Microsoft.AspNetCore.Http;

namespace LocalTls.KubeApiDouble;

/// <summary>One answered request.</summary>
public sealed record RequestRecord(string Method, string Path, string Query, int StatusCode, string? UserAgent)
{
    /// <summary>A write that would change stored state: POST, PUT, PATCH, DELETE, not a dry run.</summary>
    public bool IsMutating => Method is "POST" or "PUT" or "PATCH" or "DELETE" && !Query.Contains("dryRun=All", StringComparison.Ordinal);

    public override string ToString() => $"{Method} {Path}{Query} {StatusCode}";
}

/// <summary>The requests the double answered, for tests that count them (e.g. an unchanged re-run sends no writes).</summary>
public sealed class RequestLog
{
    private readonly List<RequestRecord> records = [];

    public IReadOnlyList<RequestRecord> Snapshot()
    {
        lock (records)
        {
            return [.. records];
        }
    }

    public void Clear()
    {
        lock (records)
        {
            records.Clear();
        }
    }

    internal void Record(HttpContext context)
    {
        var record = new RequestRecord(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            context.Response.StatusCode,
            context.Request.Headers.UserAgent.FirstOrDefault());
        lock (records)
        {
            records.Add(record);
        }
    }
}
