using Microsoft.AspNetCore.Http;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// Fault injection for tests: the next N requests that match a predicate answer 500, or 429 with Retry-After, or are
/// delayed first (e.g. the dry-run create cert-manager's webhook check makes).
/// </summary>
public sealed class Faults
{
    private readonly List<Rule> rules = [];

    /// <summary>The next <paramref name="count"/> matching requests answer 500 InternalError.</summary>
    public void FailNext(Func<HttpRequest, bool> match, int count = 1, string message = "injected failure") =>
        Add(new Rule(match, count, 500, "InternalError", message, null, TimeSpan.Zero));

    /// <summary>The next <paramref name="count"/> matching requests answer with <paramref name="error"/>'s Status (e.g. a 409 Conflict).</summary>
    public void AnswerNext(Func<HttpRequest, bool> match, ApiError error, int count = 1) =>
        Add(new Rule(match, count, error.Code, error.Reason, error.Message, null, TimeSpan.Zero) { Details = error.Details });

    /// <summary>The next <paramref name="count"/> matching requests answer 429 TooManyRequests with Retry-After.</summary>
    public void ThrottleNext(Func<HttpRequest, bool> match, int count = 1, int retryAfterSeconds = 1) =>
        Add(new Rule(match, count, 429, "TooManyRequests", "the server has received too many requests and has asked us to try again later", retryAfterSeconds, TimeSpan.Zero));

    /// <summary>The next <paramref name="count"/> matching requests are answered only after <paramref name="delay"/>.</summary>
    public void DelayNext(Func<HttpRequest, bool> match, TimeSpan delay, int count = 1) =>
        Add(new Rule(match, count, null, null, null, null, delay));

    /// <summary>Requests that carry <c>dryRun=All</c>: the path cert-manager's webhook check takes.</summary>
    public static bool IsDryRun(HttpRequest request) => request.Query["dryRun"] == "All";

    public void Clear()
    {
        lock (rules)
        {
            rules.Clear();
        }
    }

    private void Add(Rule rule)
    {
        lock (rules)
        {
            rules.Add(rule);
        }
    }

    /// <summary>Runs the first matching rule; true when it answered the request.</summary>
    internal async Task<bool> TryInjectAsync(HttpContext context)
    {
        Rule? rule;
        lock (rules)
        {
            rule = rules.FirstOrDefault(r => r.Remaining > 0 && r.Match(context.Request));
            if (rule is not null && --rule.Remaining == 0)
            {
                rules.Remove(rule);
            }
        }

        if (rule is null)
        {
            return false;
        }

        if (rule.Delay > TimeSpan.Zero)
        {
            await Task.Delay(rule.Delay, context.RequestAborted);
        }

        if (rule.Code is not { } code)
        {
            return false;
        }

        if (rule.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var error = new ApiError(code, rule.Reason!, rule.Message!, rule.RetryAfterSeconds is { } s
            ? new System.Text.Json.Nodes.JsonObject { ["retryAfterSeconds"] = s }
            : rule.Details);
        await HttpApi.WriteJsonAsync(context, code, error.ToStatus());
        return true;
    }

    private sealed class Rule(Func<HttpRequest, bool> match, int count, int? code, string? reason, string? message, int? retryAfterSeconds, TimeSpan delay)
    {
        public Func<HttpRequest, bool> Match { get; } = match;

        public int Remaining { get; set; } = count;

        public int? Code { get; } = code;

        public string? Reason { get; } = reason;

        public string? Message { get; } = message;

        public int? RetryAfterSeconds { get; } = retryAfterSeconds;

        public TimeSpan Delay { get; } = delay;

        public System.Text.Json.Nodes.JsonObject? Details { get; init; }
    }
}
