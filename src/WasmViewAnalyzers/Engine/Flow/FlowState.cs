using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>
/// The view held by each tracked storage location at one program point: locals, parameters,
/// fields of <c>this</c> and static fields (keyed by symbol) and the graph's flow captures (keyed by
/// <see cref="Microsoft.CodeAnalysis.FlowAnalysis.CaptureId"/>). Locations that hold no view are absent.
/// </summary>
internal sealed class FlowState
{
    private Dictionary<object, ViewValue> _values;

    /// <summary>
    /// Whether <see cref="_values"/> may also be another state's: a clone shares its source's
    /// dictionary until one of them writes. The solver clones every block's input and every join
    /// starts from a clone, while most blocks of a method write no view at all.
    /// </summary>
    private bool _shared;

    public FlowState()
    {
        _values = new Dictionary<object, ViewValue>(EntityComparer.Instance);
    }

    private FlowState(Dictionary<object, ViewValue> values)
    {
        _values = values;
        _shared = true;
    }

    public ViewValue? Get(object entity) => _values.TryGetValue(entity, out var value) ? value : null;

    public void Set(object entity, ViewValue? value)
    {
        if (value is null)
        {
            if (_values.ContainsKey(entity))
            {
                Writable().Remove(entity);
            }
        }
        else if (!_values.TryGetValue(entity, out var current) || !ReferenceEquals(current, value))
        {
            Writable()[entity] = value;
        }
    }

    private Dictionary<object, ViewValue> Writable()
    {
        if (_shared)
        {
            _values = new Dictionary<object, ViewValue>(_values, EntityComparer.Instance);
            _shared = false;
        }

        return _values;
    }

    /// <summary>Whether some location holds a view that may be stale.</summary>
    public bool HasStaleView
    {
        get
        {
            foreach (var value in _values.Values)
            {
                if (value.IsStale)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A guest call may have overwritten or moved every view held so far.</summary>
    public void MarkAllStale(GuestCall call)
    {
        if (_values.Count == 0)
        {
            return;
        }

        var values = Writable();
        foreach (var key in new List<object>(values.Keys))
        {
            values[key] = values[key].MarkStale(call);
        }
    }

    public FlowState Clone()
    {
        _shared = true;
        return new FlowState(_values);
    }

    public static FlowState? Join(FlowState? left, FlowState? right)
    {
        if (left is null)
        {
            return right?.Clone();
        }

        if (right is null)
        {
            return left.Clone();
        }

        var result = left.Clone();
        result.JoinWith(right);
        return result;
    }

    /// <summary>Joins <paramref name="other"/> into this state, in place.</summary>
    public void JoinWith(FlowState other)
    {
        if (ReferenceEquals(_values, other._values))
        {
            return;
        }

        foreach (var pair in other._values)
        {
            if (!_values.TryGetValue(pair.Key, out var mine))
            {
                Writable()[pair.Key] = pair.Value;
            }
            else if (ViewValue.Join(mine, pair.Value) is { } joined && !joined.Equals(mine))
            {
                // An equal value (every field the same object) is not written: values are compared, never their identity.
                Writable()[pair.Key] = joined;
            }
        }
    }

    public bool SameAs(FlowState? other)
    {
        if (other is null || other._values.Count != _values.Count)
        {
            return false;
        }

        if (ReferenceEquals(other._values, _values))
        {
            return true;
        }

        foreach (var pair in _values)
        {
            if (!other._values.TryGetValue(pair.Key, out var value) || !value.Equals(pair.Value))
            {
                return false;
            }
        }

        return true;
    }

    public IEnumerable<KeyValuePair<object, ViewValue>> Entries => _values;

    private sealed class EntityComparer : IEqualityComparer<object>
    {
        public static readonly EntityComparer Instance = new();

        public new bool Equals(object? x, object? y)
            => x is ISymbol left && y is ISymbol right
                ? SymbolEqualityComparer.Default.Equals(left, right)
                : object.Equals(x, y);

        public int GetHashCode(object obj)
            => obj is ISymbol symbol ? SymbolEqualityComparer.Default.GetHashCode(symbol) : obj.GetHashCode();
    }
}
