namespace LocalTls.Acme;

/// <summary>
/// An ACME request or issuance failed. The message says what failed and what to do; <see cref="Problem"/> holds
/// the server's problem document when there was one (a connection failure or a timeout has none).
/// </summary>
internal sealed class AcmeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to do, for a person.</param>
    /// <param name="problem">The server's problem document, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public AcmeException(string message, AcmeProblem? problem = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    /// <summary>The server's problem document: type, detail and subproblems; <see langword="null"/> when the server did not answer with one.</summary>
    public AcmeProblem? Problem { get; }

    /// <summary>The ACME server URL the failure is about, when known.</summary>
    public Uri? Server { get; init; }

    /// <summary>True when the ACME server could not be reached at all (connection refused, TLS failure, no answer).</summary>
    public bool IsConnectionFailure { get; init; }

    /// <summary>True when the overall timeout passed before the issuance completed.</summary>
    public bool IsTimeout { get; init; }

    /// <summary>What to do about a problem of a given type, one sentence; empty when there is nothing specific to say.</summary>
    internal static string Advice(AcmeProblem? problem) => problem?.ShortType switch
    {
        "badNonce" => "The server kept rejecting fresh nonces; check that only one step-ca uses this database and try again.",
        "connection" => "The CA could not fetch the HTTP-01 answer: it resolves the name (step-ca through its --resolver) and connects to port 80 of that address, so the name must resolve for the CA and a solver must listen there (run as root, or grant CAP_NET_BIND_SERVICE); or use dns-01.",
        "dns" => "The CA could not look up the TXT record: start step-ca with --resolver pointing at the DNS server that holds it (e.g. 'localtls dns serve').",
        "rejectedIdentifier" => "The CA saw an answer that does not match the key authorization: check that nothing else answers on the challenge's port or name.",
        "unauthorized" => "The account does not own this resource, or the CA does not allow the name; check the name and the account key.",
        "accountDoesNotExist" => "No account exists for this key on this server; create one (newAccount) first.",
        "badCSR" => "The CA rejected the CSR: its names must be exactly the order's names.",
        "orderNotReady" => "The order's authorizations are not all valid yet.",
        "malformed" => "The request did not match what the CA expects; check the names (step-ca takes dns and ip identifiers) and the requested lifetime (within the provisioner's min/max).",
        "rateLimited" => "The CA asks to slow down; try again later.",
        "serverInternal" => "The CA failed internally; its log says why (for step-ca, look for the request's path in its output).",
        _ => "",
    };
}
